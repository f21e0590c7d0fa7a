"""The committed people bank: real walk cycles that the real detector sees as people."""

from __future__ import annotations

import numpy as np

from benchmarks.accuracy.sprites import MIN_RUN, WalkCycle, detector_check, load_bank


def test_the_bank_holds_walk_cycles_of_cut_out_people():
    bank = load_bank()
    assert len(bank) >= 20
    for cyc in bank:
        assert len(cyc.frames) >= MIN_RUN
        for f in cyc.frames:
            assert f.dtype == np.uint8 and f.ndim == 3 and f.shape[2] == 4
            assert f.shape[0] > 1.5 * f.shape[1]  # upright
            a = f[..., 3]
            assert (a == 0).any() and (a == 255).mean() > 0.3  # a cut-out, not a rectangle
        # Legs move: the frames of a cycle differ from one another, and the width with them. Legs apart
        # (a ~0.7 m step) against legs together (a ~0.4 m body) make the widest frame well over 10 %
        # wider than the narrowest, whichever way the person walks.
        widths = [f.shape[1] for f in cyc.frames]
        assert max(widths) >= 1.1 * min(widths), (cyc.origin, widths)
        assert len({f.shape for f in cyc.frames}) > 1


def test_a_sample_of_the_bank_is_a_person_for_the_real_detector():
    bank = load_bank()
    sample = [WalkCycle(c.frames[::6], c.direction, c.origin) for c in bank[::9]]
    kept = detector_check(sample, keep=1.0)
    assert [c.origin for c, _ in kept] == [c.origin for c in sample]
    # ... and a grass-coloured rectangle is not.
    fake = np.zeros((120, 50, 4), np.uint8)
    fake[..., :3] = (45, 125, 50)
    fake[..., 3] = 255
    assert detector_check([WalkCycle([fake], 0, "grass")], keep=1.0) == []
