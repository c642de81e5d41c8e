"""The shipped COCO importer's own code (``store/src/coco-importer/coco.py``), run in this
process on files laid out every way a COCO file can be: the rows it makes are those of the
file read whole, three times (``_gather_whole``), whether it could read the file in parts
(``_gather_split``) or not, and a file that is not JSON fails before any row."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import ijson
import pytest

import adminapp

SRC = Path(adminapp.__file__).parent / "plugins" / "store" / "src" / "coco-importer" / "coco.py"


@pytest.fixture(scope="module")
def coco():
    spec = importlib.util.spec_from_file_location("coco_importer_under_test", SRC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Ctx:
    def __init__(self):
        self.progress_calls = []

    def progress(self, done, total=None, message=""):
        self.progress_calls.append(done)


IMAGES = [
    {"id": 1, "file_name": "a.jpg", "coco_url": "http://x/a.jpg", "width": 640, "height": 480},
    {"id": 2, "file_name": "b.jpg", "flickr_url": "http://f/b.jpg", "width": 3.5},
    {"id": "c", "file_name": "c.jpg", "height": 10, "note": '"images": [], "annotations": 1'},
    {"file_name": "d.jpg", "tags": ["images", "annotations", "categories"]},
]
ANNOTATIONS = [
    {"id": 10, "image_id": 1, "category_id": 1, "segmentation": [[1.5, 2, 3, 4]], "bbox": [0, 0]},
    {"id": 11, "image_id": 1, "category_id": 2},
    {"id": 12, "image_id": 1, "category_id": 1},
    {"id": 13, "image_id": 2, "category_id": 2, "caption": 'a "categories" [ { ,'},
    {"id": 14, "image_id": "c", "category_id": 99},
    "not an annotation",
]
CATEGORIES = [{"id": 1, "name": "person"}, {"id": 2, "name": "bicycle"}, {"id": 3}]

EXPECTED = [
    {
        "row_data": "http://x/a.jpg",
        "metadata": {
            "file_name": "a.jpg",
            "categories": ["bicycle", "person"],
            "width": 640,
            "height": 480,
            "annotations": 3,
        },
        "external_id": "1",
    },
    {
        "row_data": "http://f/b.jpg",
        "metadata": {
            "file_name": "b.jpg",
            "categories": ["bicycle"],
            "width": 3.5,
            "annotations": 1,
        },
        "external_id": "2",
    },
    {
        "row_data": "c.jpg",
        "metadata": {"file_name": "c.jpg", "categories": [], "height": 10, "annotations": 1},
        "external_id": "c",
    },
    {
        "row_data": "d.jpg",
        "metadata": {"file_name": "d.jpg", "categories": [], "annotations": 0},
        "external_id": "d.jpg",
    },
]


def member(key, value, indent=None):
    return json.dumps(key) + ": " + json.dumps(value, indent=indent)


def document(*members, space=""):
    return "{" + space + ("," + space).join(members) + space + "}"


STANDARD = [
    member("info", {"description": "test"}),
    member("licenses", []),
    member("images", IMAGES),
    member("annotations", ANNOTATIONS),
    member("categories", CATEGORIES),
]

# name → (the file's text, whether it can be read in parts)
LAYOUTS = {
    "standard": (document(*STANDARD), True),
    "pretty, with whitespace everywhere": (
        json.dumps(
            {"info": {}, "images": IMAGES, "annotations": ANNOTATIONS, "categories": CATEGORIES},
            indent=4,
        )
        + "\n\n",
        True,
    ),
    "categories first": (document(STANDARD[4], *STANDARD[:4]), True),
    "annotations before images": (
        document(STANDARD[0], STANDARD[3], STANDARD[2], STANDARD[4]),
        True,
    ),
    "images last": (document(STANDARD[4], STANDARD[3], STANDARD[2]), True),
    "no categories": (document(*STANDARD[:4]), True),
    "a member between the images and the annotations": (
        document(STANDARD[2], STANDARD[1], STANDARD[3], STANDARD[4]),
        False,
    ),
    "a nested images key": (
        document(member("info", {"images": 5}), *STANDARD[1:]),
        False,
    ),
    "a key spelt with an escape": (
        document(*STANDARD[:2], '"im\\u0061ges": ' + json.dumps(IMAGES), *STANDARD[3:]),
        False,
    ),
    "the images twice": (
        document(*STANDARD, member("images", [{"id": 9, "file_name": "z.jpg"}])),
        False,
    ),
    "a nested categories key after the arrays": (
        document(*STANDARD[:4], member("info2", {"categories": [{"id": 1, "name": "x"}]})),
        False,
    ),
}


def rows_of(coco, path):
    return list(coco.parse(Ctx(), str(path)))


def whole_rows_of(coco, path, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(coco, "_gather_split", lambda fd, size: None)
        return rows_of(coco, path)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_makes_the_rows_of_the_file_read_whole(coco, tmp_path, monkeypatch, layout):
    text, in_parts = LAYOUTS[layout]
    path = tmp_path / "instances.json"
    path.write_text(text)
    with open(path, "rb") as fh:
        assert (coco._gather_split(fh.fileno(), len(text.encode())) is not None) == in_parts
    rows = rows_of(coco, path)
    assert rows == whole_rows_of(coco, path, monkeypatch)
    if layout == "the images twice":
        assert [r["external_id"] for r in rows] == ["1", "2", "c", "d.jpg", "9"]
    elif layout in ("no categories", "a nested categories key after the arrays"):
        assert [r["metadata"]["categories"] for r in rows] == [[], [], [], []]
        assert [r["metadata"]["annotations"] for r in rows] == [3, 1, 1, 0]
    else:  # "a key spelt with an escape" too: ijson reads the key as "images"
        assert rows == EXPECTED


@pytest.mark.parametrize(
    "broken",
    [
        # a syntax error in the images, in the annotations, in the rest; a truncated file;
        # a second value after the top-level object.
        document(*STANDARD).replace('"b.jpg",', '"b.jpg" "x",', 1),
        document(*STANDARD).replace('"category_id": 2}', '"category_id": 2,}', 1),
        document(*STANDARD).replace('"name": "bicycle"', '"name": bicycle', 1),
        document(*STANDARD)[:-40],
        document(*STANDARD) + "[]",
    ],
)
def test_a_file_that_is_not_json_fails_before_any_row_as_when_read_whole(
    coco, tmp_path, monkeypatch, broken
):
    path = tmp_path / "instances.json"
    path.write_text(broken)
    made = []
    with pytest.raises(ijson.JSONError) as failed:
        for row in coco.parse(Ctx(), str(path)):
            made.append(row)
    assert made == []
    with pytest.raises(ijson.JSONError) as failed_whole:
        whole_rows_of(coco, path, monkeypatch)
    assert str(failed.value) == str(failed_whole.value)


def test_the_images_are_read_in_parts_of_a_file_of_many_blocks(coco, tmp_path, monkeypatch):
    # More images than one scan block holds, keys across block edges: still one of each.
    monkeypatch.setattr(coco, "SCAN_BLOCK", 4096)
    images = [{"id": n, "file_name": f"{n:012d}.jpg", "width": n} for n in range(1, 3001)]
    annotations = [{"image_id": n, "category_id": 1 + n % 2} for n in range(1, 3001, 3)]
    text = document(
        member("images", images),
        member("annotations", annotations),
        member("categories", [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}]),
    )
    path = tmp_path / "instances.json"
    path.write_text(text)
    with open(path, "rb") as fh:
        assert coco._gather_split(fh.fileno(), len(text)) is not None
    ctx = Ctx()
    rows = list(coco.parse(ctx, str(path)))
    assert rows == whole_rows_of(coco, path, monkeypatch)
    assert len(rows) == 3000
    assert [r["metadata"]["categories"] for r in rows[:4]] == [["two"], [], [], ["one"]]
    assert ctx.progress_calls == []  # every 5,000 images


def test_errors_name_what_is_not_coco(coco, tmp_path):
    path = tmp_path / "x.json"
    for text, message in (
        ("[1, 2]", "This is not a COCO file: the top level is not a JSON object."),
        (document(member("images", [])), 'The file has no images (an "images" array of objects).'),
        (document(member("images", [1])), "images[0] is not an object."),
    ):
        path.write_text(text)
        with pytest.raises(ValueError) as failed:
            rows_of(coco, path)
        assert str(failed.value) == message
