"""Reading and validating DSA occlusion annotations (COCO-VID style JSON, see ``docs/data_format.md``).

Two entry points share one validator:

- :func:`load_dsa_annotations` returns one record per video and raises :class:`DSAAnnotationError` on the
  first problem (what the dataset calls).
- :func:`find_annotation_problems` runs every check and returns all problems as strings (what
  ``tools/check_dataset.py`` prints).

Every message names the JSON file, the record (``video id=7``, ``annotation id=3``, ``category id=1``, or
``videos[4]`` when the record has no usable id) and the field, e.g.
``train.json: annotation id=3: field 'bbox': [500, 10, 40, 20] ends at x=540 > width=512``.
"""

from __future__ import annotations

import json
import math
import os
import os.path as osp
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from occlunet.dicom import read_dsa_header

# The occlusion locations annotated in OccluNet (Sec. 3.1.1); their order sets the multi-class labels.
DSA_CATEGORIES: tuple[str, ...] = ('M1', 'M2', 'ICA_intracranial', 'ICA_extracranial', 'unknown')
# The one class of single-class mode (OccluNet Exp. 2-4: "treating all occlusions as one class").
SINGLE_CLASS: tuple[str, ...] = ('occlusion',)

VIDEO_KEYS: tuple[str, ...] = ('id', 'file_name', 'view', 'width', 'height', 'num_frames')
ANNOTATION_KEYS: tuple[str, ...] = ('id', 'video_id', 'category_id', 'bbox', 'frame_start', 'frame_end')
CATEGORY_KEYS: tuple[str, ...] = ('id', 'name')
TOP_LEVEL_KEYS: tuple[str, ...] = ('categories', 'videos', 'annotations')
BBOX_LENGTH = 4


class DSAAnnotationError(ValueError):
    """An annotation file is malformed or disagrees with its DICOM files; the message says where."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Checker:
    """Validates one annotation file; raises on the first problem or collects all of them."""

    def __init__(self, ann_file: str, data_root: str, check_headers: bool, fail_fast: bool) -> None:
        self.ann_file = str(ann_file)
        self.data_root = str(data_root)
        self.check_headers = check_headers
        self.fail_fast = fail_fast
        self.problems: list[str] = []

    def report(self, where: str, field: str | None, message: str) -> None:
        field_part = f"field '{field}': " if field else ''
        text = f'{self.ann_file}: {where}: {field_part}{message}'
        if self.fail_fast:
            raise DSAAnnotationError(text)
        self.problems.append(text)

    # -- top level ----------------------------------------------------------------------------------------
    def read_json(self) -> dict | None:
        try:
            with open(self.ann_file, encoding='utf-8') as f:
                data = json.load(f)
        except OSError as e:
            self.report('file', None, f'cannot read annotation file ({e.strerror or e})')
            return None
        except json.JSONDecodeError as e:
            self.report('file', None, f'not valid JSON ({e})')
            return None
        if not isinstance(data, dict):
            self.report('file', None, f'top level must be an object, got {type(data).__name__}')
            return None
        ok = True
        for key in TOP_LEVEL_KEYS:
            if key not in data:
                self.report('top level', key, 'missing required key')
                ok = False
            elif not isinstance(data[key], list):
                self.report('top level', key, f'must be a list, got {type(data[key]).__name__}')
                ok = False
        return data if ok else None

    def records(self, items: list, kind: str, section: str, keys: tuple[str, ...]) -> Iterator[tuple]:
        """Yield ``(where, record)`` for the records of one section that are objects with every key and a
        unique integer id; report the others."""
        seen: set[int] = set()
        for index, rec in enumerate(items):
            if not isinstance(rec, dict):
                self.report(f'{section}[{index}]', None, f'must be an object, got {type(rec).__name__}')
                continue
            rid = rec.get('id')
            where = f'{kind} id={rid}' if _is_int(rid) else f'{section}[{index}]'
            missing = [k for k in keys if k not in rec]
            for key in missing:
                self.report(where, key, 'missing required key')
            if missing:
                continue
            if not _is_int(rid):
                self.report(where, 'id', f'must be an integer, got {rid!r}')
                continue
            if rid in seen:
                self.report(where, 'id', f'duplicate {kind} id {rid}')
                continue
            seen.add(rid)
            yield where, rec

    # -- categories ---------------------------------------------------------------------------------------
    def categories(self, items: list) -> list[dict]:
        cats, names = [], set()
        for where, rec in self.records(items, 'category', 'categories', CATEGORY_KEYS):
            name = rec['name']
            if not isinstance(name, str) or not name:
                self.report(where, 'name', f'must be a non-empty string, got {name!r}')
                continue
            if name in names:
                self.report(where, 'name', f'duplicate category name {name!r}')
                continue
            names.add(name)
            cats.append({'id': rec['id'], 'name': name})
        return cats

    # -- videos -------------------------------------------------------------------------------------------
    def videos(self, items: list) -> list[dict]:
        videos, file_names = [], {}
        for where, rec in self.records(items, 'video', 'videos', VIDEO_KEYS):
            ok = self._video_fields_ok(where, rec)
            img_path = self._resolve_file(where, rec['file_name'])
            if img_path is None:
                continue
            if img_path in file_names:
                used_by = file_names[img_path]
                self.report(where, 'file_name', f'{rec["file_name"]!r} is also used by video id={used_by}')
                continue
            file_names[img_path] = rec['id']
            if ok and self.check_headers:
                ok = self._check_header(where, rec, img_path)
            if ok:
                videos.append(self._video_record(rec, img_path))
        return videos

    def _video_fields_ok(self, where: str, rec: dict) -> bool:
        """Check the types and ranges of a video's fields other than ``file_name``; report each problem."""
        ok = True
        for key in ('width', 'height', 'num_frames'):
            if not _is_int(rec[key]) or rec[key] <= 0:
                self.report(where, key, f'must be a positive integer, got {rec[key]!r}')
                ok = False
        if not isinstance(rec['view'], str) or not rec['view']:
            self.report(
                where, 'view', f'must be a non-empty string such as "PA" or "LAT", got {rec["view"]!r}'
            )
            ok = False
        frame_rate = rec.get('frame_rate')
        if frame_rate is not None and (not _is_number(frame_rate) or frame_rate <= 0):
            self.report(where, 'frame_rate', f'must be a positive number or null, got {frame_rate!r}')
            ok = False
        acquired = rec.get('acquired')
        if acquired is not None and not self._is_iso_datetime(acquired):
            self.report(where, 'acquired', f'must be an ISO 8601 date-time or null, got {acquired!r}')
            ok = False
        for key in ('study_id', 'patient_id'):
            if rec.get(key) is not None and not isinstance(rec[key], str):
                self.report(where, key, f'must be a string or null, got {rec[key]!r}')
                ok = False
        return ok

    @staticmethod
    def _is_iso_datetime(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True

    def _resolve_file(self, where: str, file_name: Any) -> str | None:
        """The absolute path of a video's DICOM, or None after reporting why it is unusable."""
        if not isinstance(file_name, str) or not file_name:
            self.report(where, 'file_name', f'must be a non-empty string, got {file_name!r}')
            return None
        if osp.isabs(file_name) or file_name.startswith(('/', '\\')):
            self.report(where, 'file_name', f'{file_name!r} is absolute; paths are relative to the data root')
            return None
        root = osp.realpath(self.data_root or '.')
        img_path = osp.realpath(osp.join(root, file_name))
        if os.path.commonpath([root, img_path]) != root:
            self.report(where, 'file_name', f'{file_name!r} escapes the data root {root}')
            return None
        if not osp.isfile(img_path):
            self.report(where, 'file_name', f'file not found: {img_path}')
            return None
        return img_path

    def _check_header(self, where: str, rec: dict, img_path: str) -> bool:
        try:
            header = read_dsa_header(img_path)
        except (ValueError, OSError) as e:  # DSAFormatError (a ValueError) names the file and field
            self.report(where, 'file_name', f'unreadable DICOM: {type(e).__name__}: {e}')
            return False
        ok = True
        for key, found, field in (
            ('num_frames', header.num_frames, 'NumberOfFrames'),
            ('height', header.height, 'Rows'),
            ('width', header.width, 'Columns'),
        ):
            if found != rec[key]:
                self.report(
                    where, key, f'{rec[key]} disagrees with the DICOM header {field}={found} ({img_path})'
                )
                ok = False
        return ok

    @staticmethod
    def _video_record(rec: dict, img_path: str) -> dict:
        return {
            'video_id': rec['id'],
            'file_name': rec['file_name'],
            'img_path': img_path,
            'study_id': rec.get('study_id'),
            'patient_id': rec.get('patient_id'),
            'view': rec['view'],
            'width': rec['width'],
            'height': rec['height'],
            'num_frames': rec['num_frames'],
            'frame_rate': None if rec.get('frame_rate') is None else float(rec['frame_rate']),
            'acquired': rec.get('acquired'),
            'annotations': [],
        }

    # -- annotations --------------------------------------------------------------------------------------
    def annotations(
        self, items: list, videos: dict[int, dict], raw_video_ids: set, cats: dict[int, int]
    ) -> None:
        """Validate the annotations and append them to their video's ``annotations`` list."""
        for where, rec in self.records(items, 'annotation', 'annotations', ANNOTATION_KEYS):
            vid, cid = rec['video_id'], rec['category_id']
            if not _is_int(vid) or vid not in raw_video_ids:
                self.report(where, 'video_id', f'unknown video {vid!r}')
                continue
            if not _is_int(cid) or cid not in cats:
                self.report(where, 'category_id', f'unknown category {cid!r} (known: {sorted(cats)})')
                continue
            video = videos.get(vid)  # None: the video itself was reported; check what does not need it
            bbox = self._bbox(where, rec['bbox'], video)
            frames = self._frame_range(where, rec['frame_start'], rec['frame_end'], video)
            if bbox is None or frames is None or video is None:
                continue
            x, y, w, h = bbox
            video['annotations'].append(
                {
                    'id': rec['id'],
                    'category_id': cid,
                    'category_index': cats[cid],
                    'bbox': [x, y, x + w, y + h],  # xyxy, DICOM pixels
                    'frame_start': frames[0],
                    'frame_end': frames[1],
                }
            )

    def _bbox(self, where: str, bbox: Any, video: dict | None) -> list[float] | None:
        if not isinstance(bbox, list) or len(bbox) != BBOX_LENGTH or not all(_is_number(v) for v in bbox):
            self.report(where, 'bbox', f'must be [x, y, w, h] of {BBOX_LENGTH} finite numbers, got {bbox!r}')
            return None
        x, y, w, h = (float(v) for v in bbox)
        if w <= 0 or h <= 0:
            self.report(where, 'bbox', f'{bbox!r} has w or h <= 0')
            return None
        if x < 0 or y < 0:
            self.report(where, 'bbox', f'{bbox!r} starts outside the frame (negative x or y)')
            return None
        if video is not None:
            if x + w > video['width']:
                self.report(where, 'bbox', f'{bbox!r} ends at x={x + w:g} > width={video["width"]}')
                return None
            if y + h > video['height']:
                self.report(where, 'bbox', f'{bbox!r} ends at y={y + h:g} > height={video["height"]}')
                return None
        return [x, y, w, h]

    def _frame_range(self, where: str, start: Any, end: Any, video: dict | None) -> tuple[int, int] | None:
        for field, value in (('frame_start', start), ('frame_end', end)):
            if not _is_int(value):
                self.report(where, field, f'must be an integer frame index, got {value!r}')
                return None
        if start < 0:
            self.report(where, 'frame_start', f'{start} < 0')
            return None
        if end < start:
            self.report(where, 'frame_end', f'{end} < frame_start={start} (reversed range)')
            return None
        if video is not None and end >= video['num_frames']:
            self.report(where, 'frame_end', f'{end} >= num_frames={video["num_frames"]} (0-based, inclusive)')
            return None
        return start, end

    # -- all ----------------------------------------------------------------------------------------------
    def run(self) -> tuple[list[dict], list[dict]]:
        data = self.read_json()
        if data is None:
            return [], []
        cats = self.categories(data['categories'])
        videos = self.videos(data['videos'])
        raw_video_ids = {v.get('id') for v in data['videos'] if isinstance(v, dict) and _is_int(v.get('id'))}
        cat_index = {c['id']: i for i, c in enumerate(cats)}
        self.annotations(data['annotations'], {v['video_id']: v for v in videos}, raw_video_ids, cat_index)
        for video in videos:
            video['annotations'].sort(key=lambda a: a['id'])
        return cats, videos


def load_dsa_annotations(ann_file: str, data_root: str, *, check_headers: bool = True) -> list[dict]:
    """Load and validate an annotation file; one record per video.

    Args:
        ann_file: path of the JSON file.
        data_root: directory the videos' ``file_name`` are relative to.
        check_headers: open every DICOM header (no pixel decoding) and compare frame count and size
            with the JSON.

    Returns:
        One dict per video, in file order: ``video_id``, ``file_name``, ``img_path`` (absolute),
        ``study_id``, ``patient_id``, ``view``, ``width``, ``height``, ``num_frames``, ``frame_rate``,
        ``acquired`` and ``annotations`` (sorted by id), each ``{'id', 'category_id', 'category_index'
        (position in the file's ``categories``), 'bbox' ([x1, y1, x2, y2] in DICOM pixels),
        'frame_start', 'frame_end'}``.

    Raises:
        DSAAnnotationError: on the first problem, naming the file, the record and the field.
    """
    return _Checker(ann_file, data_root, check_headers, fail_fast=True).run()[1]


def load_dsa_categories(ann_file: str) -> list[dict]:
    """The validated ``categories`` of an annotation file (``{'id', 'name'}``, file order = label order).

    Raises:
        DSAAnnotationError: if the file or its categories are malformed.
    """
    checker = _Checker(ann_file, '', check_headers=False, fail_fast=True)
    data = checker.read_json()
    return checker.categories(data['categories']) if data is not None else []


def inspect_dsa_annotations(
    ann_file: str, data_root: str, *, check_headers: bool = True
) -> tuple[list[dict], list[dict], list[str]]:
    """Run every check and return what is usable along with all problems.

    Returns:
        ``(categories, videos, problems)``: the valid categories and videos (records as in
        :func:`load_dsa_annotations`, with their valid annotations) and one message per problem.
    """
    checker = _Checker(ann_file, data_root, check_headers, fail_fast=False)
    categories, videos = checker.run()
    return categories, videos, checker.problems


def find_annotation_problems(ann_file: str, data_root: str, *, check_headers: bool = True) -> list[str]:
    """Run every check of :func:`load_dsa_annotations` and return all problems (empty list: file is valid).

    With ``check_headers`` an unreadable DICOM is reported with its ``DSAFormatError`` message.
    """
    return inspect_dsa_annotations(ann_file, data_root, check_headers=check_headers)[2]
