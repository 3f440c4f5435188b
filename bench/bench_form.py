"""Benchmark the form pipeline (not a test): decode alone, pose alone, whole pipeline.

    .venv/bin/python bench/bench_form.py [--clip PATH] [--skip-1080p] [--workers N]

Prints frames/s and real-time factor (clip seconds / wall seconds; > 1 is faster than real
time), CPU seconds (this process and its children: on a machine shared with other work the
wall time depends on the load, the CPU time much less), the load average, and peak RSS.
Besides the shared clip it makes a 30 s 1080p 60 fps clip by upscaling and looping the
shared one (into bench/.cache/, not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_CLIP = REPO.parent / "shared" / "data" / "videos" / "zz_male_side.mp4"
CACHE = REPO / "bench" / ".cache"


def make_1080p60(src: Path, seconds: float = 30.0) -> Path:
    import imageio_ffmpeg

    out = CACHE / "bench_1080p60_30s.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-stream_loop", "-1",
        "-i", str(src), "-t", str(seconds), "-vf", "scale=1080:1920:flags=bicubic,fps=60",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def load_average() -> str:
    import os

    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def bench_decode(clip: Path, max_side: int | None) -> tuple[int, float]:
    from strideback.video.decode import iter_frames

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_frames(clip, max_side=max_side))
    return n, time.perf_counter() - t0


def bench_decode_ffmpeg(clip: Path, max_side: int) -> tuple[int, float]:
    from strideback.video.decode import ffmpeg_frames, probe_video, scaled_size

    info = probe_video(clip)
    t0 = time.perf_counter()
    n = sum(1 for _ in ffmpeg_frames(clip, scaled_size(info.width, info.height, max_side)))
    return n, time.perf_counter() - t0


def bench_pose(clip: Path, frames: int = 240, max_side: int = 640) -> tuple[int, float]:
    import cv2

    from strideback.video.decode import iter_frames
    from strideback.video.pose import make_backend

    images = []
    for f in iter_frames(clip, max_side=max_side):
        images.append(cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB))
        if len(images) >= frames:
            break
    with quiet_stderr():  # TFLite/absl print INFO and warning lines from C++
        pose = make_backend("mediapipe")
        pose.process(images[0], 0)  # warm up
        t0 = time.perf_counter()
        for i, img in enumerate(images):
            pose.process(img, i * 33)
        pose.close()
        return len(images), time.perf_counter() - t0


@contextlib.contextmanager
def quiet_stderr():  # type: ignore[no-untyped-def]
    import os

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def bench_pipeline(clip: Path, workers: int | None) -> tuple[int, float, dict]:
    from strideback.form.service import analyse_clip
    from strideback.store.db import open_database

    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/bench.sqlite3")
        if workers is not None:
            import strideback.video.extract as ex

            original = ex.extract_landmarks

            def patched(*a, **k):  # type: ignore[no-untyped-def]
                k["workers"] = workers
                return original(*a, **k)

            import strideback.form.service as svc

            svc.extract_landmarks = patched  # type: ignore[assignment]
        t0 = time.perf_counter()
        result = analyse_clip(db, clip, out_dir=Path(tmp) / "out")
        wall = time.perf_counter() - t0
        import json

        data = json.loads(result.metrics_json.read_text())
        frames = data["clip"]["frames"]
        cad = data["metrics"]["cadence"]["value"]
    clip = data["clip"]
    return frames, wall, {"cadence": cad, "pose_s": clip["pose_seconds"],
                          "annotate_s": clip.get("annotate_seconds", float("nan"))}  # fmt: skip


def report(label: str, frames: int, wall: float, fps: float) -> None:
    clip_s = frames / fps
    print(f"  {label:<34} {frames:>5} frames in {wall:6.1f} s = {frames / wall:6.1f} frames/s, "
          f"real-time factor {clip_s / wall:5.2f}x")  # fmt: skip


def run(clip: Path, workers: int | None) -> None:
    from strideback.video.decode import probe_video

    info = probe_video(clip)
    print(f"\n{clip.name}: {info.width}x{info.height} @ {info.fps:.0f} fps, "
          f"{info.frame_count} frames ({info.duration_s:.1f} s)")  # fmt: skip
    n, wall = bench_decode(clip, None)
    report("decode (full size)", n, wall, info.fps)
    n, wall = bench_decode(clip, 640)
    report("decode + downscale (OpenCV)", n, wall, info.fps)
    n, wall = bench_decode_ffmpeg(clip, 640)
    report("decode scaled in ffmpeg (pipeline)", n, wall, info.fps)
    n, wall = bench_pose(clip)
    report("pose alone (1 process, 640 px)", n, wall, info.fps)
    print(f"  {load_average()} before the pipeline run")
    cpu0 = cpu_seconds()
    n, wall, extra = bench_pipeline(clip, workers)
    cpu = cpu_seconds() - cpu0
    report(f"whole pipeline (workers={workers or 'auto'})", n, wall, info.fps)
    print(f"    pose pass {extra['pose_s']:.1f} s, annotated video {extra['annotate_s']:.1f} s; "
          f"CPU {cpu:.1f} s (= {cpu / 2:.1f} s on 2 idle cores); "
          f"cadence {extra['cadence']:.1f} steps/min; {load_average()} after")  # fmt: skip
    own, children = peak_rss_mb()
    print(f"  peak RSS: main process {own:.0f} MB, largest worker {children:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SHARED_CLIP)
    parser.add_argument("--skip-1080p", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if not args.clip.is_file():
        sys.exit(f"{args.clip}: not found")
    import os

    print(f"CPU cores: {os.cpu_count()}")
    run(args.clip, args.workers)
    if not args.skip_1080p:
        run(make_1080p60(args.clip), args.workers)


if __name__ == "__main__":
    main()
