"""Track photos in the store (schema v4): the best per track kept, a player's best among its tracks,
a split taking the photo with its frame."""

from __future__ import annotations

import cv2
import numpy as np

from edge_app.store import SessionStore
from edge_app.vision.photos import TrackPhoto, encode_photo
from tests.conftest import SAMPLE
from tests.store.helpers import count, dets, record, scenario


def _frame() -> np.ndarray:
    cap = cv2.VideoCapture(str(SAMPLE))
    ok, image = cap.read()
    cap.release()
    assert ok
    return image


def _photo(image, track_id, frame, height, score, x=100) -> TrackPhoto:
    crop = image[100 : 100 + int(height), x : x + int(height) // 2]
    return TrackPhoto(track_id, frame, frame / 10, encode_photo(crop), float(height), float(score))


def test_only_a_better_photo_replaces_a_tracks_photo(tmp_path):
    image = _frame()
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100, end=False)
        first = _photo(image, 1, 10, 100, 0.8)
        s.add_frame(sid, 100, 10.0, dets([]), photos=[first])
        assert s.track_photo(sid, 1) == first.jpeg and s.track_photo(sid, "track-2") is None
        for worse in (_photo(image, 1, 11, 90, 0.99, x=200), _photo(image, 1, 12, 100, 0.7, x=200)):
            s.add_photos(sid, [worse])  # shorter, or as tall and less sure: kept out
        assert s.track_photo(sid, 1) == first.jpeg
        assert s.track_photo_rows(sid) == [(1, 10, 1.0, 100.0, 0.8)]
        sure = _photo(image, 1, 13, 100, 0.9, x=200)
        s.add_photos(sid, [sure])
        assert s.track_photo(sid, 1) == sure.jpeg
        taller = _photo(image, 1, 14, 120, 0.6, x=300)
        s.add_photos(sid, [taller, _photo(image, 1, 15, 110, 0.99)])  # one batch, the better first
        assert s.track_photo(sid, 1) == taller.jpeg
        assert s.track_photo_rows(sid) == [(1, 14, 1.4, 120.0, 0.6)]
        assert count(s.path, "track_photos") == 1
        decoded = cv2.imdecode(np.frombuffer(s.track_photo(sid, 1), np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == (120, 60, 3)  # under the 128 px cap: the crop as it was
        s.end_session(sid)


def test_a_clear_photo_beats_a_taller_crowded_one_for_the_track_and_its_player(tmp_path):
    image = _frame()
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        crowded = TrackPhoto(1, 10, 1.0, encode_photo(image[100:220, 100:160]), 120.0, 0.9, clear=False)
        s.add_photos(sid, [crowded])
        assert s.track_photo(sid, 1) == crowded.jpeg  # a track never seen clear still has a photo
        clear = _photo(image, 1, 20, 80, 0.6, x=200)
        s.add_photos(sid, [clear, TrackPhoto(1, 30, 3.0, crowded.jpeg, 130.0, 0.99, clear=False)])
        assert s.track_photo(sid, 1) == clear.jpeg and s.track_photo_rows(sid) == [(1, 20, 2.0, 80.0, 0.6)]
        s.add_photos(sid, [TrackPhoto(2, 30, 3.0, crowded.jpeg, 150.0, 0.99, clear=False)])
        key = s.merge_tracks(sid, [1, 2])
        assert s.player_photos(sid)[key] == clear.jpeg  # the player's: the clear one, not the taller


def test_a_players_photo_is_the_best_of_its_tracks_and_a_split_takes_it_along(tmp_path):
    image = _frame()
    with SessionStore(tmp_path / "a.db") as s:
        sid = record(s, scenario(), 100)
        s.add_photos(
            sid, [_photo(image, 1, 20, 80, 0.9), _photo(image, 2, 60, 110, 0.9), _photo(image, 3, 60, 90, 0.9)]
        )
        assert set(s.player_photos(sid)) == {"track-1", "track-2", "track-3"}  # track 4: no photo
        key = s.merge_tracks(sid, [1, 2])
        photos = s.player_photos(sid)
        assert photos[key] == s.track_photo(sid, 2) and "track-1" not in photos
        s.name_player(sid, key, "Sam")
        assert s.player_photo(sid, "Sam") == s.track_photo(sid, 2) == s.player_photo(sid, key)
        assert s.player_photo(sid, "track-4") is None and s.player_photo(sid, "nobody") is None

        new = s.split_track(sid, 3, 50)  # the photo (frame 60) is of the later part now
        assert s.track_photo(sid, 3) is None and s.track_photo(sid, new) is not None
        assert s.player_photos(sid)[f"track-{new}"] == s.track_photo(sid, new)
