"""The reminder scheduler: trainings, incomplete information, certificate expiry.

Planners (plans.py) put jobs in `scheduled_jobs` when something happens (an
invitation, a "Going") and in a periodic sweep (new gaps, certificates
nearing expiry); `SchedulerService` (service.py) leases due jobs, drops
those that no longer make sense, applies quiet hours, the weekly cap and
the user's choices, and queues the rest in the outbox. docs/reminders.md
tells the whole story.
"""

from bot.scheduler.service import PassReport, SchedulerService

__all__ = ["PassReport", "SchedulerService"]
