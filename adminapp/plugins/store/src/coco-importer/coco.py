"""COCO JSON → image data rows, streamed.

The file is never loaded whole: ``ijson`` (its C parser) reads it piece by piece. Memory
holds the categories and, per image, the ids of its categories and its annotation count;
never the images or the annotations' geometry. Rows are yielded only once the whole file
has been parsed (a file that is not JSON fails before any row).

A COCO file is one object whose members ``images``, ``annotations`` and ``categories`` are
arrays — in the usual order, the images first, although a row needs the category names of
its image's annotations. How the file is read:

- **Split** (``_layout``): each of the three keys is looked for as bytes (a quick scan, no
  parsing). When ``"images"`` and ``"annotations"`` each occur exactly once, as a key, the
  file is taken as three parts: the images array, the annotations array and the rest (every
  other member, the categories among them, each big array replaced by a placeholder string).
  The rest is parsed first (small) and must be one JSON object with each placeholder the
  value of its top-level key, once; then the annotations array, which must be one JSON value
  on its own; then the images array once to check it the same way, once more to make the
  rows. Since a JSON value can stand wherever another one does, the three parts parse as
  the file would: 2 reads of the images' bytes and 1 of the rest instead of 3 of the whole.
- **Whole** (``_gather_whole``): anything else (a key found nested or twice, other members
  between the arrays, a part that is not one JSON value) reads the whole file three times —
  the categories, the annotations, then the images — so a malformed file fails as it always
  did.

A row: ``row_data`` = the image's ``coco_url``, else ``flickr_url``, else ``file_name``;
``external_id`` = the image's ``id`` (as text), else its ``file_name``; ``metadata`` =
``file_name``, ``width``, ``height``, ``categories`` (names, sorted, at most
``MAX_CATEGORIES``) and ``annotations`` (how many). An image without a URL or file name is
refused by the import (``INVALID_ROW``) like any row without ``row_data``.
"""

import collections
import contextlib
import gc
import io
import os

import ijson

MAX_CATEGORIES = 50

try:
    PARSER = ijson.get_backend("yajl2_c")
except ImportError:  # pragma: no cover - the pure Python parser, slower
    PARSER = ijson

SPLIT_KEYS = (b'"images"', b'"annotations"', b'"categories"')
PLACEHOLDER = {"images": "\x00coco-split:images", "annotations": "\x00coco-split:annotations"}
REST_MAX = 16 * 1024 * 1024  # the rest (info, licenses, categories, …) parsed from memory
SCAN_BLOCK = 1 << 20
WHITESPACE = b" \t\r\n"


def _items(path, prefix):
    with open(path, "rb") as fh:
        yield from PARSER.items(fh, prefix, use_float=True)


def _check_top_level(path):
    with open(path, "rb") as fh:
        for _prefix, event, _value in PARSER.parse(fh):
            if event != "start_map":
                raise ValueError("This is not a COCO file: the top level is not a JSON object.")
            return
    raise ValueError("The file is empty.")


# --- split: each part of the file parsed once ------------------------------------------------
class _Part:
    """Bytes ``start``..``end`` of a file, as a file object for ijson."""

    def __init__(self, fd, start, end):
        self.fd, self.pos, self.end = fd, start, end

    def read(self, size=-1):
        left = self.end - self.pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        data = os.pread(self.fd, size, self.pos)
        self.pos += len(data)
        return data


def _key_offsets(fd, size):
    """Where each of ``SPLIT_KEYS`` occurs as bytes: {key: [offsets]} (at most a few)."""
    found = {key: [] for key in SPLIT_KEYS}
    overlap = max(len(key) for key in SPLIT_KEYS) - 1
    offset, tail = 0, b""
    total = 0
    while offset < size:
        block = os.pread(fd, SCAN_BLOCK, offset)
        if not block:
            break
        window, base = tail + block, offset - len(tail)
        for key in SPLIT_KEYS:
            at = window.find(key)
            while at >= 0:
                if at + len(key) > len(tail):  # not wholly in the last block's tail: new
                    found[key].append(base + at)
                    total += 1
                    if total > 64:
                        return None
                at = window.find(key, at + 1)
        tail = window[-overlap:]
        offset += len(block)
    return found


def _as_key(fd, at, key, size):
    """The offset just after the colon when ``key`` at ``at`` is a member's key: its opening
    quote not escaped (an even run of backslashes before it) and a colon after it. None
    otherwise, or when it cannot be told from 256 bytes either side."""
    before = os.pread(fd, min(at, 256), at - min(at, 256))
    run = len(before) - len(before.rstrip(b"\\"))
    if run == len(before) and at > len(before):
        return None
    if run % 2:
        return None
    end = at + len(key)
    after = os.pread(fd, 256, end)
    rest = after.lstrip(WHITESPACE)
    if not rest or rest[:1] != b":":
        return None
    return end + (len(after) - len(rest)) + 1


def _closing(fd, offset, char):
    """The offset of ``char`` ending the bytes before ``offset``, whitespace aside: the comma
    before the member whose key starts at ``offset``, or the file's closing brace before
    its end. None when those bytes do not end with it."""
    before = os.pread(fd, min(offset, 256), offset - min(offset, 256))
    text = before.rstrip(WHITESPACE)
    if not text.endswith(char):
        return None
    return offset - len(before) + len(text) - 1


def _layout(fd, size):
    """{"images": (start, end), "annotations": (start, end)} — the byte spans of the two
    arrays — and the rest of the file as bytes with a placeholder for each; None when the
    file is not laid out so (it is then read whole)."""
    found = _key_offsets(fd, size)
    if found is None:
        return None
    keys = {}
    for key, offsets in found.items():
        starts = [(at, _as_key(fd, at, key, size)) for at in offsets]
        starts = [(at, start) for at, start in starts if start is not None]
        if len(starts) > 1 or (not starts and key != b'"categories"'):
            return None
        if starts:
            keys[key.decode().strip('"')] = starts[0]
    order = sorted(keys.items(), key=lambda item: item[1][0])
    spans = {}
    for i, (name, (_at, start)) in enumerate(order):
        if name not in PLACEHOLDER:
            continue
        end = (
            _closing(fd, order[i + 1][1][0], b",")
            if i + 1 < len(order)
            else _closing(fd, size, b"}")
        )
        if end is None or end <= start:
            return None
        spans[name] = (start, end)
    pieces, offset = [], 0
    for name, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
        pieces += [os.pread(fd, start - offset, offset), _json_string(PLACEHOLDER[name])]
        offset = end
    if sum(len(piece) for piece in pieces) + size - offset > REST_MAX:
        return None
    pieces.append(os.pread(fd, size - offset, offset))
    return spans, b"".join(pieces)


def _json_string(text):
    return ('"' + text.replace("\x00", "\\u0000") + '"').encode()


def _check_rest(rest):
    """The rest is one JSON object in which each placeholder is the value of its key, once."""
    seen = {name: [] for name in PLACEHOLDER}
    for prefix, event, value in PARSER.parse(io.BytesIO(rest)):
        if prefix in seen:
            seen[prefix].append((event, value))
    return all(events == [("string", PLACEHOLDER[name])] for name, events in seen.items())


def _drain(items):
    collections.deque(items, maxlen=0)


def _gather_split(fd, size):
    """The categories and the annotations' image ids, as ``_gather_whole``, and a function
    returning the images; None when the file is not laid out for it."""
    layout = _layout(fd, size)
    if layout is None:
        return None
    spans, rest = layout
    try:
        if not _check_rest(rest):
            return None
        # The images: one JSON value on its own (parsed for a prefix nothing has: nothing
        # kept), checked before any row is made.
        _drain(PARSER.items(_Part(fd, *spans["images"]), "item.\x00", use_float=True))
        names = _names(PARSER.items(io.BytesIO(rest), "categories.item", use_float=True))
        per_image, counts = _per_image(
            PARSER.items(_Part(fd, *spans["annotations"]), "item", use_float=True), names
        )
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - not one JSON value: read whole, failing as it does
        return None

    def images():
        return PARSER.items(_Part(fd, *spans["images"]), "item", use_float=True)

    return names, per_image, counts, images


# --- whole: the file read three times ---------------------------------------------------------
def _gather_whole(path):
    names = _names(_items(path, "categories.item"))
    per_image, counts = _per_image(_items(path, "annotations.item"), names)
    return names, per_image, counts, lambda: _items(path, "images.item")


def _names(categories):
    names = {}
    for category in categories:
        if isinstance(category, dict) and "id" in category:
            names[category["id"]] = str(category.get("name", category["id"]))
    return names


def _per_image(annotations, names):
    """Per image id: the ids of its annotations' categories (those ``names`` has) and how
    many annotations it has."""
    per_image = {}
    image_ids = []
    for annotation in annotations:
        if not isinstance(annotation, dict):
            continue
        image_id = annotation.get("image_id")
        if image_id is None:
            continue
        image_ids.append(image_id)
        category_id = annotation.get("category_id")
        if category_id in names:
            categories = per_image.get(image_id)
            if categories is None:
                per_image[image_id] = {category_id}
            else:
                categories.add(category_id)
    return per_image, collections.Counter(image_ids)


@contextlib.contextmanager
def _gc_paused():
    """The cycle collector off while the per-image sets pile up (hundreds of thousands of
    objects kept, none in a cycle): each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse(ctx, path):
    _check_top_level(path)
    with open(path, "rb") as fh:
        with _gc_paused():
            gathered = _gather_split(fh.fileno(), os.fstat(fh.fileno()).st_size)
            if gathered is None:
                gathered = _gather_whole(path)
        names, per_image, counts, images_of = gathered
        images = 0
        numbers = (int, float)
        for image in images_of():
            if not isinstance(image, dict):
                raise ValueError(f"images[{images}] is not an object.")
            images += 1
            get = image.get
            image_id = get("id")
            file_name = get("file_name") or ""
            row_data = get("coco_url") or get("flickr_url") or file_name
            ids = per_image.get(image_id)
            categories = sorted([names[c] for c in ids])[:MAX_CATEGORIES] if ids else []
            metadata = {"file_name": file_name, "categories": categories}
            width, height = get("width"), get("height")
            if isinstance(width, numbers):
                metadata["width"] = width
            if isinstance(height, numbers):
                metadata["height"] = height
            metadata["annotations"] = counts.get(image_id, 0)
            row = {"row_data": row_data, "metadata": metadata}
            external_id = str(image_id) if image_id is not None else file_name
            if external_id:
                row["external_id"] = external_id
            yield row
            if images % 5000 == 0:
                ctx.progress(images, None, f"{images} images read")
    if images == 0:
        raise ValueError('The file has no images (an "images" array of objects).')
