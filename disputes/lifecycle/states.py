from django.db import models


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted — registry screening"
    DEFICIENT = "deficient", "Deficient — awaiting cure"
    NOTIFIED = "notified", "Notified — awaiting Answer"
    TRIBUNAL_FORMATION = "tribunal_formation", "Tribunal formation"
    PROCEDURAL_SETUP = "procedural_setup", "Procedural set-up"
    WRITTEN_SUBMISSIONS = "written_submissions", "Written submissions"
    EVIDENCE = "evidence", "Evidence"
    HEARING = "hearing", "Hearing"
    DELIBERATION = "deliberation", "Deliberation"
    AWARD_ISSUED = "award_issued", "Award issued"
    CLOSED = "closed", "Closed"
    SUSPENDED = "suspended", "Suspended"
    SETTLED = "settled", "Settled"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DISMISSED = "dismissed", "Dismissed"


# States in which the case is live at the institution (suspension, settlement and so on apply from these).
ACTIVE_STATES = frozenset(
    {
        State.SUBMITTED,
        State.DEFICIENT,
        State.NOTIFIED,
        State.TRIBUNAL_FORMATION,
        State.PROCEDURAL_SETUP,
        State.WRITTEN_SUBMISSIONS,
        State.EVIDENCE,
        State.HEARING,
        State.DELIBERATION,
        State.AWARD_ISSUED,
    }
)
TERMINAL_STATES = frozenset({State.CLOSED, State.SETTLED, State.WITHDRAWN, State.DISMISSED})
TRIBUNAL_STATES = frozenset(
    {State.PROCEDURAL_SETUP, State.WRITTEN_SUBMISSIONS, State.EVIDENCE, State.HEARING, State.DELIBERATION}
)
# The main path, in order: used for stage progress bars and time-in-stage charts.
MAIN_PATH = (
    State.DRAFT,
    State.SUBMITTED,
    State.NOTIFIED,
    State.TRIBUNAL_FORMATION,
    State.PROCEDURAL_SETUP,
    State.WRITTEN_SUBMISSIONS,
    State.EVIDENCE,
    State.HEARING,
    State.DELIBERATION,
    State.AWARD_ISSUED,
    State.CLOSED,
)
