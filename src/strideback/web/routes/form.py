"""Form: upload a running video, analyse it in the background, show the report and the
annotated video, compare two clips, delete a clip (with its files) and undo that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    Response,
    StreamingResponse,
)
from starlette.datastructures import UploadFile

from strideback.form.model import VIEW_CHOICES
from strideback.form.service import (
    FormError,
    compare_clips,
    get_clip,
    list_clips,
    metronome_stream,
)
from strideback.form.trash import delete_clip, restore_clip
from strideback.web.deps import (
    attempt,
    change_then_go,
    get_config,
    get_jobs,
    is_htmx,
    render,
    runner_db,
    runner_id,
    runner_jobs,
)
from strideback.web.jobs import run_form_job
from strideback.web.uploads import new_upload_folder, save_uploads

router = APIRouter()
VIEWS = VIEW_CHOICES


def as_dict(obj: Any) -> dict[str, Any]:
    """A dataclass, object with to_dict(), or mapping as a plain dict for the templates."""
    if obj is None:
        return {}
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "__dataclass_fields__"):
        return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    return dict(vars(obj))


def _page(
    request: Request,
    status: int = 200,
    errors: list[str] | None = None,
    job: Any = None,
    deleted: int | None = None,
) -> Response:
    clips, unavailable = attempt(lambda: list_clips(runner_db(request)))
    rule = get_config(request).uploads["video"]
    return render(
        request,
        "form.html",
        status_code=status,
        active="form",
        clips=[as_dict(c) for c in (clips or [])],
        unavailable=unavailable,
        jobs=runner_jobs(request).recent("form", limit=3),
        views=VIEWS,
        accept=",".join(rule.suffixes),
        upload_label=rule.label,
        upload_errors=errors or [],
        job=job,
        deleted=deleted,
    )


@router.get("/form", response_class=HTMLResponse)
def form_page(request: Request, deleted: int | None = None) -> Response:
    return _page(request, deleted=deleted)


@router.post("/form/upload", response_class=HTMLResponse)
async def upload_video(request: Request) -> Response:
    form = await request.form(max_files=1)
    video = form.get("video")
    view = form.get("view") if form.get("view") in VIEWS else "auto"
    capture_fps, fps_error = _capture_fps(form.get("capture_fps"))
    rule = get_config(request).uploads["video"]
    files = [video] if isinstance(video, UploadFile) and video.filename else []
    folder = new_upload_folder("video", runner_id(request))
    saved, errors = await save_uploads(files, rule, folder) if not fps_error else ([], [])
    if fps_error:
        errors = [fps_error]
    job = None
    if saved:
        runner = get_jobs(request)
        params: dict[str, Any] = {"video": saved[0].name, "view": view}
        if capture_fps is not None:
            params["capture_fps"] = capture_fps
        job_id = runner.submit(
            "form", params, run_form_job, str(saved[0]), view, capture_fps,
            runner=runner_id(request),
        )  # fmt: skip
        job = runner_jobs(request).get(job_id)
    else:
        folder.rmdir()
    status = 202 if saved else 422
    if is_htmx(request):
        return render(
            request, "_upload_result.html", status_code=status, job=job, upload_errors=errors
        )
    return _page(request, status, errors, job)


def _capture_fps(raw: object) -> tuple[float | None, str | None]:
    """The optional capture-rate field of a slow-motion upload: (value, error message)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        return (
            None,
            f"Capture rate: {text!r} is not a number (e.g. 240 for a 240 fps slow-motion clip).",
        )
    if not 1 <= value <= 2000:
        return None, f"Capture rate: {value:g} fps is outside 1-2000 fps."
    return value, None


def _not_found(exc: BaseException) -> bool:
    """A missing clip: LookupError, or the form service's FormError."""
    return isinstance(exc, LookupError | FormError)


def _clip(request: Request, clip_id: int) -> tuple[Any, str | None]:
    try:
        return attempt(lambda: get_clip(runner_db(request), clip_id))
    except Exception as exc:
        if _not_found(exc):
            return None, None
        raise


@router.get("/form/metronome.wav")
def metronome(request: Request, spm: int, minutes: float = 20) -> Response:
    """A click track at the target cadence, for cadence retraining (+5-10% of your own)."""
    try:
        size, chunks = metronome_stream(spm, minutes)  # streamed: ~0.4 MB in memory at a time
    except FormError as exc:
        return render(request, "error.html", status_code=422, message=str(exc))
    filename = f"metronome-{spm}spm-{minutes:g}min.wav"
    return StreamingResponse(
        chunks,
        media_type="audio/wav",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
        },
    )


@router.get("/form/compare", response_class=HTMLResponse)
def compare(request: Request, a: int, b: int) -> Response:
    try:
        result, unavailable = attempt(lambda: compare_clips(runner_db(request), a, b))
    except Exception as exc:
        if not _not_found(exc):
            raise
        return render(request, "error.html", status_code=404, message=str(exc))
    return render(
        request,
        "form_compare.html",
        active="form",
        a=a,
        b=b,
        comparison=as_dict(result) if result is not None else None,
        unavailable=unavailable,
    )


@router.get("/form/{clip_id}", response_class=HTMLResponse)
def clip_page(request: Request, clip_id: int) -> Response:
    clip, unavailable = _clip(request, clip_id)
    if clip is None and not unavailable:
        return render(request, "error.html", status_code=404, message=f"No clip {clip_id}.")
    return render(
        request,
        "form_clip.html",
        active="form",
        clip=as_dict(clip),
        clip_id=clip_id,
        unavailable=unavailable,
    )


def _clip_file(request: Request, clip_id: int, attr: str, media_type: str) -> Response:
    clip, _ = _clip(request, clip_id)
    path = getattr(clip, attr, None) if clip is not None else None
    if path is None or not Path(path).is_file():
        return render(
            request,
            "error.html",
            status_code=404,
            message=f"Clip {clip_id} has no {attr.replace('_', ' ')}.",
        )
    return FileResponse(path, media_type=media_type)


@router.get("/form/{clip_id}/report")
def clip_report(request: Request, clip_id: int) -> Response:
    return _clip_file(request, clip_id, "report_html", "text/html")


@router.get("/form/{clip_id}/video")
def clip_video(request: Request, clip_id: int) -> Response:
    return _clip_file(request, clip_id, "annotated_mp4", "video/mp4")


@router.post("/form/{clip_id}/delete", response_class=HTMLResponse)
async def delete(request: Request, clip_id: int) -> Response:
    """Delete a clip with its report, video and landmarks; the clip list offers an undo."""
    return await change_then_go(request, delete_clip, clip_id, f"/form?deleted={clip_id}",
                                f"No clip {clip_id}.", refused=FormError)  # fmt: skip


@router.post("/form/{clip_id}/restore", response_class=HTMLResponse)
async def restore(request: Request, clip_id: int) -> Response:
    """Undo a delete: the clip and its files are back."""
    return await change_then_go(request, restore_clip, clip_id, f"/form/{clip_id}",
                                f"No clip {clip_id}.", refused=FormError)  # fmt: skip
