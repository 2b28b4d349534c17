"""Product photos: collect them one by one, then choose the cover, reorder, delete.

Collecting is a small flow of its own ("photos", one step) because it takes
any number of photos until Done rather than one answer per step.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.flow_actions import FLOW_CANCEL, FLOW_DONE, FLOW_LATER
from bot.core.intents import MENU, PHOTO_CHANGE, PHOTOS_ADD, PRODUCT, goto
from bot.core.replies import noted, with_note
from bot.core.types import Button, Reply
from bot.flows.collector import Collector
from bot.flows.engine import complaint
from bot.flows.ownership import owned_product
from storage.models import Photo, Product
from storage.products import add_photo, delete_photo, reorder_photos

NAME = "photos"


async def start(ctx: Context, product: Product) -> list[Reply]:
    ctx.conversation.flow = NAME
    ctx.conversation.step = "collect"
    ctx.conversation.data = {"target": product.id}
    return prompt(ctx, product)


async def show(ctx: Context) -> list[Reply]:
    """The collecting step again (after /help or a stale button), or the menu."""
    product = await owned_product(ctx, int(ctx.conversation.data.get("target", 0)))
    return prompt(ctx, product) if product is not None else await goto(ctx, MENU.action())


def prompt(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    limits = ctx.settings.media
    text = t(
        "photos.ask",
        name=product.name,
        count=len(product.photos),
        max=limits.max_photos_per_product,
        max_mb=limits.max_photo_bytes // (1024 * 1024),
    )
    return [Reply(text, buttons=[[Button(t("button.done"), FLOW_DONE.action())]])]


async def handle(ctx: Context) -> list[Reply]:
    """Stores one photo, or ends collecting on Done/Cancel/Later."""
    product = await owned_product(ctx, int(ctx.conversation.data.get("target", 0)))
    if product is None:
        _finish(ctx)
        return [Reply(ctx.t("product.not_found"))] + await goto(ctx, MENU.action())
    if ctx.action in (FLOW_DONE.action(), FLOW_CANCEL.action(), FLOW_LATER.action()):
        _finish(ctx)
        return manage_screen(ctx, product)
    if ctx.action:
        return noted(ctx.t("flow.use_buttons"), prompt(ctx, product))
    try:
        position = await _store(ctx, product)
    except Invalid as error:  # what was wrong and the request again, in one message
        return with_note(complaint(ctx, error), prompt(ctx, product))
    t = ctx.t
    text = t("photos.saved", number=position, count=len(product.photos))
    if position == 1:
        text += "\n" + t("photos.cover_note")
    return [Reply(text, buttons=[[Button(t("button.done"), FLOW_DONE.action())]])]


async def _store(ctx: Context, product: Product) -> int:
    incoming = ctx.incoming
    ref = incoming.photo or incoming.document
    limits = ctx.settings.media
    if ref is None:
        raise Invalid("photos.send_photo")
    data, picture = incoming.file_bytes, incoming.picture
    if data is None or picture is None or len(data) > limits.max_photo_bytes:
        raise Invalid("photo.too_large", max_mb=limits.max_photo_bytes // (1024 * 1024))
    if len(product.photos) >= limits.max_photos_per_product:
        raise Invalid("photos.limit", max=limits.max_photos_per_product)
    # Decoded and cleaned by the dispatcher before this transaction; only files are written here.
    info = await ctx.app.media.keep_async(picture)
    if any(photo.sha256 == info.sha256 for photo in product.photos):
        raise Invalid("photos.duplicate")
    photo = Photo(
        sha256=info.sha256,
        mime=info.mime,
        width=info.width,
        height=info.height,
        size_bytes=info.size,
    )
    await add_photo(ctx.session, product, photo)
    return len(product.photos)


def _finish(ctx: Context) -> None:
    ctx.conversation.flow = None
    ctx.conversation.step = None
    ctx.conversation.data = {}


def manage_screen(ctx: Context, product: Product) -> list[Reply]:
    """The product's photos in order, each with cover / move up / delete buttons."""
    t = ctx.t
    lines = [t("photos.title", name=product.name, count=len(product.photos))]
    rows: list[list[Button]] = []
    for number, photo in enumerate(product.photos, start=1):
        cover = t("photos.is_cover") if number == 1 else ""
        lines.append(
            t("photos.line", number=number, width=photo.width, height=photo.height, cover=cover)
        )
        row = []
        if number > 1:
            row.append(
                Button(
                    t("photos.make_cover", number=number),
                    PHOTO_CHANGE.action("cover", product.id, photo.id),
                )
            )
            row.append(
                Button(
                    t("photos.move_up", number=number),
                    PHOTO_CHANGE.action("up", product.id, photo.id),
                )
            )
        row.append(
            Button(
                t("photos.delete", number=number),
                PHOTO_CHANGE.action("delete", product.id, photo.id),
            )
        )
        rows.append(row)
    rows.append([Button(t("photos.add"), PHOTOS_ADD.action(product.id))])
    rows.append([Button(t("button.back"), PRODUCT.action(product.id))])
    return [Reply("\n".join(lines), buttons=rows)]


async def change(ctx: Context, verb: str, product: Product, photo_id: int) -> list[Reply]:
    """cover | up | delete one photo of an owned product."""
    photos = list(product.photos)
    photo = next((p for p in photos if p.id == photo_id), None)
    if photo is None:
        return [Reply(ctx.t("photos.not_found"))] + manage_screen(ctx, product)
    index = photos.index(photo)
    if verb == "delete":
        await delete_photo(ctx.session, product, photo)
        note = ctx.t("photos.deleted", number=index + 1)
    else:
        photos.pop(index)
        photos.insert(0 if verb == "cover" else max(index - 1, 0), photo)
        await reorder_photos(ctx.session, product, photos)
        note = ctx.t("photos.reordered")
    return [Reply(note)] + manage_screen(ctx, product)


COLLECTOR = Collector(NAME, handle, show)
