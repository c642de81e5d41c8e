"""COCO JSON → image data rows, streamed.

The file is never loaded whole: ``ijson`` (its C parser) reads it three times — the
categories, then the annotations (each one's ``image_id`` and ``category_id`` kept) (an image's category
names are its metadata), then the images one by one, each yielded as a row as soon as it is
read. Memory holds the categories and, per image, the ids of its categories; never the
images or the annotations' geometry.

A row: ``row_data`` = the image's ``coco_url``, else ``flickr_url``, else ``file_name``;
``external_id`` = the image's ``id`` (as text), else its ``file_name``; ``metadata`` =
``file_name``, ``width``, ``height``, ``categories`` (names, sorted, at most
``MAX_CATEGORIES``) and ``annotations`` (how many). An image without a URL or file name is
refused by the import (``INVALID_ROW``) like any row without ``row_data``.
"""

import ijson

MAX_CATEGORIES = 50

try:
    PARSER = ijson.get_backend("yajl2_c")
except ImportError:  # pragma: no cover - the pure Python parser, slower
    PARSER = ijson


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


def parse(ctx, path):
    _check_top_level(path)
    names = {}
    for category in _items(path, "categories.item"):
        if isinstance(category, dict) and "id" in category:
            names[category["id"]] = str(category.get("name", category["id"]))
    per_image = {}
    counts = {}
    for annotation in _items(path, "annotations.item"):
        if not isinstance(annotation, dict):
            continue
        image_id, category_id = annotation.get("image_id"), annotation.get("category_id")
        if image_id is None:
            continue
        counts[image_id] = counts.get(image_id, 0) + 1
        if category_id in names:
            per_image.setdefault(image_id, set()).add(category_id)
    images = 0
    for image in _items(path, "images.item"):
        if not isinstance(image, dict):
            raise ValueError(f"images[{images}] is not an object.")
        images += 1
        image_id = image.get("id")
        file_name = image.get("file_name") or ""
        row_data = image.get("coco_url") or image.get("flickr_url") or file_name
        categories = sorted(names[c] for c in per_image.get(image_id, ()))[:MAX_CATEGORIES]
        metadata = {"file_name": file_name, "categories": categories}
        for name in ("width", "height"):
            if isinstance(image.get(name), int | float):
                metadata[name] = image[name]
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
