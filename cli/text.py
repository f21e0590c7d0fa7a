"""The commands' plain-text output (what `--json` replaces): tables and lines for a terminal."""

from __future__ import annotations


def detections_text(path, info, records: list[dict]) -> str:
    lines = [
        f"{path.name}: {len(records)} detection(s)  [model {info.name} @ {info.input_size}, on {', '.join(info.providers)}]"
    ]
    for r in records:
        kp = f", {len(r['keypoints'])} keypoints" if "keypoints" in r else ""
        lines.append(f"  {r['class_name']:<8} {r['score']:.2f}  box {r['box']}{kp}")
    return "\n".join(lines)


def summary_text(s: dict, fps: float | None = None) -> str:
    unit = "m" if s["units"] == "m" else "px"
    lines = [
        f"session {s['session_id']}  ({s['status']})  {s['source']}",
        f"  {s['duration_s']:.0f} s of video, profile {s['profile']['name']}"
        + ("" if fps is None else f", analysed at {fps:.1f} frames/s"),
    ]
    if s["units"] != "m":
        lines.append("  no pitch calibration: distances and speeds are in PIXELS, not metres (pass --calibration FILE)")
    lines.append(f"  players  {len(s['players'])}")
    if s["players"]:
        lines.append(
            f"    {'player':<14} {'tracks':<12} {'dist ' + unit:>9} {'top ' + unit + '/s':>9} {'sprints':>7} {'acc/dec':>7} {'seen s':>7} {'pose':>5}"
        )
        for p in s["players"]:
            tracks = ",".join(map(str, p["track_ids"]))
            pose = p["pose"]["samples"] if p.get("pose") else 0
            lines.append(
                f"    {p['player'][:14]:<14} {tracks[:12]:<12} {p['distance']:>9.1f} {p['top_speed']:>9.2f} {p['sprint_count']:>7} "
                f"{p['acceleration_count']:>3}/{p['deceleration_count']:<3} {p['quality']['tracked_time_s']:>7.1f} {pose:>5}"
            )
    return "\n".join(lines)


def session_text(s: dict) -> str:
    lines = [
        f"session {s['id']}  ({s['status']})",
        f"  source   {s['source']}",
        f"  started  {s['started_at']}   ended {s.get('ended_at') or '-'}",
        f"  frames   {s.get('frames')}  at {s.get('fps')} fps   on {', '.join(s.get('models', {}).get('detector', {}).get('providers', []))}",
    ]
    tracks = s.get("tracks", [])
    lines.append(f"  tracks   {len(tracks)}")
    if tracks:
        lines.append("    id    from      to    seen   pose")
        for t in tracks:
            lines.append(
                f"  {t['track_id']:>4}  {t['first_t']:>6.1f}s {t['last_t']:>6.1f}s {t['frames_seen']:>6} {t.get('pose_samples', 0):>6}"
            )
    return "\n".join(lines)


def sessions_text(rows: list[dict]) -> str:
    if not rows:
        return "no sessions yet: run `axolotl-edge analyze VIDEO`"
    return "\n".join(
        [f"{'id':<36}  {'status':<11}  {'started':<25}  frames  source"]
        + [
            f"{r['id']:<36}  {r['status']:<11}  {r['started_at']:<25}  {r.get('frames') or 0:>6}  {r['source']}"
            for r in rows
        ]
    )


def compare_text(a_id: str, b_id: str, rows: dict, unit: str) -> str:
    return "\n".join(
        [f"{'':<20} {a_id[:8]:>10} {b_id[:8]:>10} {'change':>10}"]
        + [
            f"{k + (' ' + unit if 'distance' in k else ''):<20} {a:>10} {b:>10} {d:>+10}"
            for k, (a, b, d) in rows.items()
        ]
    )


def players_text(players: list[dict]) -> str:
    return "\n".join(
        f"{p['player']:<12} {p['name'] or '':<16} {p.get('role') or 'player':<6} tracks {','.join(map(str, p['track_ids']))}"
        for p in players
    )


def feedback_text(feedback: dict, player: str | None = None) -> str:
    entries = [feedback["team"]] if feedback.get("team") and not player else []
    entries += [p for p in feedback["players"] if not player or p["player"] == player]
    from edge_app.feedback.gate import wording_line

    note = wording_line(feedback)
    lines = [note] if note else []
    for e in entries:
        lines.append(f"{e['player']}: {e['text']}")
        for d in e["drills"]:
            lines.append(f"    drill: {d['name']} ({d['minutes']} min)")
    return "\n".join(lines)


def models_text(rows: list[dict]) -> str:
    return "\n".join(
        f"{r['name']:<16} {r['task']:<7} {r['input_size']:>5}  {r['license']:<10} {r.get('state', '')}  {r['file']}"
        for r in rows
    )
