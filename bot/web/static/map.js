// The OCOP map: producers from /api/v1/map.geojson, clustered, on the configured tiles.
// Text from the data is set with textContent, never as HTML.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var VIETNAM = [[8.2, 102.1], [23.4, 109.5]];
  var map = L.map(box, { zoomSnap: 1, preferCanvas: true });
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 18,
    attribution: box.dataset.attribution
  }).addTo(map);

  // "#zoom/lat/lon" (a producer page's link) opens the map there.
  function viewFromHash() {
    var parts = window.location.hash.replace("#", "").split("/").map(Number);
    if (parts.length === 3 && parts.every(isFinite)) {
      map.setView([parts[1], parts[2]], parts[0]);
      return true;
    }
    return false;
  }
  if (!viewFromHash()) { map.fitBounds(VIETNAM); }

  function stars(count) {
    var text = "";
    for (var i = 0; i < count; i++) { text += "\u2605"; }
    return text;
  }

  function popup(props) {
    var root = document.createElement("div");
    root.className = "popup";
    var link = document.createElement("a");
    link.href = box.dataset.producerUrl + props.i + box.dataset.langSuffix;
    link.textContent = props.n;
    root.appendChild(link);
    var line = document.createElement("div");
    line.textContent = (props.s ? stars(props.s) + " · " : "") + props.c + " " + box.dataset.productsLabel;
    root.appendChild(line);
    return root;
  }

  var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
  map.addLayer(cluster);

  fetch(box.dataset.geojson, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var markers = data.features.map(function (item) {
        var c = item.geometry.coordinates;
        var marker = L.marker([c[1], c[0]], { title: item.properties.n });
        marker.bindPopup(function () { return popup(item.properties); });
        return marker;
      });
      cluster.addLayers(markers);
      box.dataset.markers = String(markers.length);
      if (markers.length && !window.location.hash) {
        map.fitBounds(cluster.getBounds(), { maxZoom: 12, padding: [20, 20] });
      }
    })
    .catch(function () { box.dataset.markers = "error"; });
})();
