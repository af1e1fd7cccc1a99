"""Officers and their printers: which slips are waiting or failed, and an audited reprint."""

from __future__ import annotations

from flows.engine.flow import Step, action, choose, confirm
from flows.engine.messages import Choice, Msg
from flows.engine.records import AuditEntry, PrintJob, PrintStatus, Reprint
from flows.engine.turn import Parts, Presentation, Turn

PRINT_STEPS: tuple[Step, ...] = (
    choose(
        "printers",
        "job_id",
        provider="print_jobs_list",
        on={"ok": "reprint_confirm", "home": "home"},
    ),
    confirm("reprint_confirm", on={"yes": "reprint", "no": "printers"}),
    action("reprint", "reprint_job", on={"ok": "home"}),
)
_SHOWN = 10
REPRINTABLE = frozenset({PrintStatus.FAILED, PrintStatus.UNCERTAIN, PrintStatus.PRINTED})


async def _jobs(turn: Turn) -> list[PrintJob]:
    officer = await turn.load_officer()
    hall = turn.env.hall(officer.hall if officer else None)
    if officer is None or hall is None:
        return []
    names = {hall.printer, hall.printer_for_counter(officer.counter)}
    jobs: list[PrintJob] = []
    for name in sorted(names):
        jobs += await turn.env.store.print_jobs(name)
    # what needs a person first (failed, uncertain, waiting), then the latest printed
    order = {
        PrintStatus.FAILED: 0,
        PrintStatus.UNCERTAIN: 0,
        PrintStatus.QUEUED: 1,
        PrintStatus.PRINTING: 1,
        PrintStatus.PRINTED: 2,
    }
    jobs.sort(key=lambda j: (order[j.status], -j.id))
    return jobs[:_SHOWN]


async def print_jobs_list(turn: Turn) -> Presentation:
    jobs = await _jobs(turn)
    choices = [
        Choice(
            str(j.id),
            Msg.of(
                "printing.job",
                slip=Msg(f"printing.slip.{j.slip}"),
                printer=j.printer,
                status=Msg(f"printing.status.{j.status}"),
                number=str(j.id),
            ),
        )
        for j in jobs
    ]
    texts = [] if jobs else [Msg("printing.none")]
    choices.append(Choice("home", Msg("officer.back_home")))
    return Presentation(texts=texts, choices=choices)


async def reprint(turn: Turn) -> str:
    officer = await turn.load_officer()
    picked = turn.conv.slots.pop("job_id", None)
    job = next((j for j in await _jobs(turn) if str(j.id) == picked), None)
    if officer is None or job is None:
        return "ok"
    if job.status in REPRINTABLE and job.payload:  # an erased one has nothing to print
        # applied only if the job is still as read; otherwise the turn runs again and
        # finds it reprinted (or printing) already
        turn.unit.reprints.append(Reprint(job.id, job.status))
        ref = job.payload.get("ref") if isinstance(job.payload.get("ref"), str) else None
        turn.unit.audit.append(
            AuditEntry(
                f"officer:{officer.id}",
                "reprint",
                ref,
                detail=f"{job.slip} #{job.id} on {job.printer}",
            )
        )
        turn.say("printing.requeued", number=str(job.id), printer=job.printer)
    else:
        turn.say("printing.not_requeued", number=str(job.id))
    return "ok"


PARTS = Parts(providers={"print_jobs_list": print_jobs_list}, actions={"reprint_job": reprint})
