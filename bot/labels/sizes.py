"""Label sizes and sticker-sheet layouts, in millimetres.

Kept free of Pillow and reportlab imports: bot/config.py builds these from
config.toml at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
# Below this a label cannot hold a QR code a phone reads plus a line of text.
MIN_LABEL_SIDE_MM = 15.0
MAX_LABEL_SIDE_MM = 200.0


@dataclass(frozen=True)
class LabelSize:
    """One label, e.g. 40×30 mm."""

    id: str
    width_mm: float
    height_mm: float

    def __post_init__(self) -> None:
        for side in (self.width_mm, self.height_mm):
            if not MIN_LABEL_SIDE_MM <= side <= MAX_LABEL_SIDE_MM:
                raise ValueError(
                    f"label {self.id!r}: sides must be {MIN_LABEL_SIDE_MM:g}–"
                    f"{MAX_LABEL_SIDE_MM:g} mm, got {self.width_mm:g}×{self.height_mm:g}"
                )


@dataclass(frozen=True)
class SheetLayout:
    """A page of sticker paper: a grid of equal labels inside margins, with gaps between."""

    id: str
    columns: int
    rows: int
    margin_top_mm: float = 10.0
    margin_bottom_mm: float = 10.0
    margin_left_mm: float = 5.0
    margin_right_mm: float = 5.0
    gap_x_mm: float = 0.0  # between columns
    gap_y_mm: float = 0.0  # between rows
    page_width_mm: float = A4_WIDTH_MM
    page_height_mm: float = A4_HEIGHT_MM

    def __post_init__(self) -> None:
        if self.columns < 1 or self.rows < 1:
            raise ValueError(f"sheet {self.id!r}: needs at least one column and one row")
        margins = (self.margin_top_mm, self.margin_bottom_mm, self.margin_left_mm)
        if min(*margins, self.margin_right_mm, self.gap_x_mm, self.gap_y_mm) < 0:
            raise ValueError(f"sheet {self.id!r}: margins and gaps cannot be negative")
        if min(self.label_width_mm, self.label_height_mm) < MIN_LABEL_SIDE_MM:
            raise ValueError(
                f"sheet {self.id!r}: labels would be {self.label_width_mm:.1f}×"
                f"{self.label_height_mm:.1f} mm, under {MIN_LABEL_SIDE_MM:g} mm"
            )

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def label_width_mm(self) -> float:
        inner = self.page_width_mm - self.margin_left_mm - self.margin_right_mm
        return (inner - (self.columns - 1) * self.gap_x_mm) / self.columns

    @property
    def label_height_mm(self) -> float:
        inner = self.page_height_mm - self.margin_top_mm - self.margin_bottom_mm
        return (inner - (self.rows - 1) * self.gap_y_mm) / self.rows

    def cell_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm from the page's top-left) of the index-th label, row by row."""
        row, column = divmod(index % self.per_page, self.columns)
        x = self.margin_left_mm + column * (self.label_width_mm + self.gap_x_mm)
        y = self.margin_top_mm + row * (self.label_height_mm + self.gap_y_mm)
        return x, y


DEFAULT_LABEL_SIZES = (
    LabelSize("40x30", 40.0, 30.0),
    LabelSize("50x50", 50.0, 50.0),
)

# Common A4 sticker stock: 24 labels of 64×33.9 mm and 40 labels of 48.5×25.4 mm.
DEFAULT_SHEET_LAYOUTS = (
    SheetLayout("3x8", 3, 8, 12.9, 12.9, 6.4, 6.4, 2.5, 0.0),
    SheetLayout("4x10", 4, 10, 21.5, 21.5, 8.0, 8.0, 0.0, 0.0),
)
