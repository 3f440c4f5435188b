"""Job progress: a small fragment the pages poll (htmx) until the job finishes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from strideback.web.deps import render, runner_jobs

router = APIRouter()


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(request: Request, job_id: int) -> Response:
    job = runner_jobs(request).get(job_id)
    if job is None:
        return HTMLResponse(f"<p class='error'>No job {job_id}.</p>", status_code=404)
    response = render(request, "_job.html", job=job)
    if job.finished and job.kind == "import":
        # The page's activity list listens for this and reloads itself (htmx).
        response.headers["HX-Trigger"] = "import-finished"
    return response


@router.get("/api/jobs/{job_id}")
def job_json(request: Request, job_id: int) -> Response:
    job = runner_jobs(request).get(job_id)
    if job is None:
        return JSONResponse({"error": f"no job {job_id}"}, status_code=404)
    return JSONResponse(
        {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "done": job.done,
            "total": job.total,
            "message": job.message,
            "error": job.error,
            "result": job.result,
        }
    )
