"""Cases, parties, participants, the audit trail, deadlines, the docket and tribunal formation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from disputes.lifecycle.states import State


class Side(models.TextChoices):
    CLAIMANT = "claimant", "Claimant"
    RESPONDENT = "respondent", "Respondent"
    TRIBUNAL = "tribunal", "Tribunal"


class Role(models.TextChoices):
    CLAIMANT = "claimant", "Claimant counsel"
    RESPONDENT = "respondent", "Respondent counsel"
    ARBITRATOR = "arbitrator", "Arbitrator"
    EXPERT = "expert", "Tribunal expert"


ROLE_SIDE = {
    Role.CLAIMANT: Side.CLAIMANT,
    Role.RESPONDENT: Side.RESPONDENT,
    Role.ARBITRATOR: Side.TRIBUNAL,
    Role.EXPERT: Side.TRIBUNAL,
}


class DisputeType(models.TextChoices):
    WEIGHT_COPYING = "weight_copying", "Weight copying"
    API_EXTRACTION = "api_extraction", "API extraction / distillation"
    TRAINING_DATA = "training_data", "Training-data misuse"
    WATERMARK_REMOVAL = "watermark_removal", "Watermark removal"
    TRADE_SECRET = "trade_secret", "Trade secret"
    OTHER = "other", "Other"


class RulePackChoice(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class Case(models.Model):
    reference = models.CharField(max_length=16, unique=True, null=True, blank=True)
    title = models.CharField(max_length=300)
    state = models.CharField(max_length=32, choices=State.choices, default=State.DRAFT, db_index=True)
    rule_pack = models.CharField(max_length=16, choices=RulePackChoice.choices, default=RulePackChoice.STANDARD)
    rule_pack_version = models.CharField(max_length=32, blank=True, help_text="Pinned when the Request is filed.")
    dispute_types = models.JSONField(default=list, blank=True)
    ai_systems = models.JSONField(default=list, blank=True)
    facts = models.TextField(blank=True)
    relief_sought = models.TextField(blank=True)
    arbitration_agreement = models.TextField(blank=True)
    draft_step = models.PositiveSmallIntegerField(default=1)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    commencement_at = models.DateTimeField(null=True, blank=True, help_text="When notice was served.")
    tribunal_constituted_at = models.DateTimeField(null=True, blank=True)
    defence_at = models.DateTimeField(null=True, blank=True, help_text="Defence filed or its time lapsed.")
    state_entered_at = models.DateTimeField(null=True, blank=True)
    suspended_state = models.CharField(max_length=32, blank=True, help_text="State to return to on resume.")
    respondent_in_default = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    retention_until = models.DateField(null=True, blank=True)
    legal_hold = models.BooleanField(default=True, help_text="Evidence originals are never disposed of while held.")

    # Head of the hash-chained audit log, so that deleting the newest events is detected too.
    audit_head = models.CharField(max_length=64, blank=True)
    audit_length = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "-id"])]

    def __str__(self) -> str:
        return self.reference or f"Draft request #{self.pk}"

    @property
    def display_reference(self) -> str:
        return self.reference or f"Draft #{self.pk}"

    @property
    def claimant_party(self) -> Party | None:
        return next((p for p in self.parties.all() if p.side == Side.CLAIMANT), None)

    @property
    def respondent_party(self) -> Party | None:
        return next((p for p in self.parties.all() if p.side == Side.RESPONDENT), None)


class ReferenceCounter(models.Model):
    """Per-year counter for AIP-<year>-<nnnn>; incremented under a row lock so references never collide."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Party(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(max_length=16, choices=[(Side.CLAIMANT, "Claimant"), (Side.RESPONDENT, "Respondent")])
    name = models.CharField(max_length=300)
    jurisdiction = models.CharField(max_length=120, blank=True)
    address = models.TextField(blank=True)
    affiliates = models.TextField(blank=True, help_text="Parent companies, subsidiaries and affiliates; one per line.")
    counsel_name = models.CharField(max_length=200, blank=True)
    counsel_email = models.EmailField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "side"], name="one_party_per_side")]
        ordering = ["side"]

    def __str__(self) -> str:
        return self.name

    def affiliate_list(self) -> list[str]:
        return [line.strip() for line in self.affiliates.splitlines() if line.strip()]


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def active(self) -> ParticipantQuerySet:
        return self.filter(revoked_at__isnull=True)


class Participant(models.Model):
    """The only way into a case (besides the registrar staff role)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_outside_counsel = models.BooleanField(
        default=True,
        help_text="Outside counsel may see the other side's attorneys'-eyes-only exhibits; party staff not.",
    )
    is_presiding = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user", "role"], condition=Q(revoked_at__isnull=True), name="one_active_role_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "case"])]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} in {self.case}"

    @property
    def side(self) -> str:
        return ROLE_SIDE[Role(self.role)]


class Invitation(models.Model):
    """A single-use link emailed to counsel; only the SHA-256 of the token is stored."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.case}"


class EventVisibility(models.TextChoices):
    ALL = "all", "Everyone on the case"
    TRIBUNAL = "tribunal", "Tribunal and registry only"


class CaseEvent(models.Model):
    """Append-only, hash-chained audit log of everything that happened to a case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    name = models.CharField(max_length=48)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    visibility = models.CharField(max_length=16, choices=EventVisibility.choices, default=EventVisibility.ALL)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_event_per_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.name}"


class DeadlineStatus(models.TextChoices):
    OPEN = "open", "Open"
    MET = "met", "Met"
    LAPSED = "lapsed", "Lapsed"
    CANCELLED = "cancelled", "Cancelled"


class Responsible(models.TextChoices):
    CLAIMANT = "claimant", "Claimant"
    RESPONDENT = "respondent", "Respondent"
    PARTIES = "parties", "Both parties"
    TRIBUNAL = "tribunal", "Tribunal"
    REGISTRAR = "registrar", "Registrar"


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def open(self) -> DeadlineQuerySet:
        return self.filter(status=DeadlineStatus.OPEN)


class Deadline(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    key = models.CharField(max_length=48)
    label = models.CharField(max_length=200)
    rule_ref = models.CharField(max_length=200)
    responsible = models.CharField(max_length=16, choices=Responsible.choices)
    trigger_event = models.ForeignKey(CaseEvent, null=True, on_delete=models.PROTECT, related_name="opened_deadlines")
    deemed_receipt = models.DateField(help_text="Date the trigger counts as received (after the 17:00 cut-off: next).")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=DeadlineStatus.choices, default=DeadlineStatus.OPEN)
    is_window = models.BooleanField(default=False, help_text="A period in which something may be done, not a duty.")
    on_lapse = models.CharField(max_length=48, blank=True, help_text="Event fired when the deadline passes.")
    warn_fraction = models.FloatField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(default=0)
    history = models.JSONField(default=list, blank=True, help_text="Extensions and pauses, oldest first.")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="closed_deadlines"
    )

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.case})"


class DeadlineReminder(models.Model):
    """One row per reminder actually queued: the unique constraint makes the sweep idempotent."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deadline", "kind"], name="one_reminder_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} reminder for deadline {self.deadline_id}"


class FilingKind(models.TextChoices):
    REQUEST = "request", "Request for Arbitration"
    ANSWER = "answer", "Answer to the Request"
    STATEMENT_OF_CLAIM = "statement_of_claim", "Statement of Claim"
    STATEMENT_OF_DEFENCE = "statement_of_defence", "Statement of Defence"
    EVIDENCE = "evidence", "Evidence submission"
    PROCEDURAL_ORDER = "procedural_order", "Procedural order"
    AWARD = "award", "Award"
    CORRECTION = "correction", "Correction"
    CORRECTION_REQUEST = "correction_request", "Request for correction"
    CHALLENGE = "challenge", "Challenge of an arbitrator"
    SUBMISSION = "submission", "Submission"
    NOTICE = "notice", "Notice"


class Filing(models.Model):
    """A docket entry: a message plus documents, visible to everyone on the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="filings")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=FilingKind.choices, default=FilingKind.SUBMISSION)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=16, choices=[*Side.choices, ("registry", "Registry")])
    filed_at = models.DateTimeField()
    event = models.OneToOneField(CaseEvent, null=True, on_delete=models.PROTECT, related_name="filing")

    class Meta:
        ordering = ["case_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="one_filing_per_number")]

    def __str__(self) -> str:
        return f"{self.case} docket {self.number}: {self.title}"


def filing_document_path(instance: FilingDocument, filename: str) -> str:
    # The uploaded name is never used as a path: documents are stored under their content hash.
    return f"docket/{instance.filing.case_id}/{instance.sha256}"


class FilingDocument(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to=filing_document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.original_name


class Message(models.Model):
    """Message board: whatever is addressed to the tribunal reaches every party too (no one-sided contact)."""

    class Audience(models.TextChoices):
        TRIBUNAL = "tribunal", "The tribunal (copied to all parties)"
        ALL = "all", "Everyone on the case"
        REGISTRY = "registry", "The registry (copied to all parties)"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=16)
    addressed_to = models.CharField(max_length=16, choices=Audience.choices, default=Audience.TRIBUNAL)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    event = models.OneToOneField(CaseEvent, null=True, on_delete=models.PROTECT, related_name="message")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Nomination(models.Model):
    """A party's proposal of a sole arbitrator; the same name proposed by both sides is a joint nomination."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="nominations")
    arbitrator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=16, choices=[(Side.CLAIMANT, "Claimant"), (Side.RESPONDENT, "Respondent")])
    created_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.side} nominates {self.arbitrator_id} in {self.case_id}"


class AppointmentStatus(models.TextChoices):
    AWAITING_DECLARATION = "awaiting_declaration", "Awaiting independence declaration"
    AWAITING_REGISTRAR = "awaiting_registrar", "Declaration filed; registrar reviewing"
    EFFECTIVE = "effective", "Effective"
    DECLINED = "declined", "Declined"
    REJECTED = "rejected", "Not confirmed by the registrar"
    REMOVED = "removed", "Removed after a challenge"


class Appointment(models.Model):
    class Method(models.TextChoices):
        JOINT_NOMINATION = "joint_nomination", "Joint nomination by the parties"
        REGISTRAR = "registrar", "Appointed by the registrar"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appointments")
    arbitrator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    method = models.CharField(max_length=24, choices=Method.choices)
    status = models.CharField(
        max_length=24, choices=AppointmentStatus.choices, default=AppointmentStatus.AWAITING_DECLARATION
    )
    appointed_at = models.DateTimeField()
    declared_at = models.DateTimeField(null=True, blank=True)
    declared_independent = models.BooleanField(null=True)
    disclosures = models.TextField(blank=True)
    conflict_hits = models.JSONField(default=list, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-appointed_at"]

    def __str__(self) -> str:
        return f"{self.arbitrator} in {self.case} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in {
            AppointmentStatus.AWAITING_DECLARATION,
            AppointmentStatus.AWAITING_REGISTRAR,
            AppointmentStatus.EFFECTIVE,
        }


class Challenge(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="challenges")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="challenges")
    side = models.CharField(max_length=16)
    reasons = models.TextField()
    filed_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    upheld = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"Challenge by {self.side} in {self.case_id}"


class Hearing(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="hearings")
    starts_at = models.DateTimeField()
    days = models.PositiveSmallIntegerField(default=1)
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"Hearing of {self.case_id} on {self.starts_at:%Y-%m-%d}"


class Notification(models.Model):
    """In-app notification, also the idempotency record of the email sent for it (unique per user and key)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    dedupe_key = models.CharField(max_length=120)
    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="one_notification_per_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class DigestRun(models.Model):
    """One daily digest per user and local calendar day. The row is written, in the same transaction that marks
    the notifications emailed, before the email goes out: a rerun, or two overlapping runs, find it and send nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The day in the user's time zone.")
    sent_at = models.DateTimeField(auto_now_add=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_and_day")]

    def __str__(self) -> str:
        return f"digest for {self.user_id} on {self.day}"


class DocketRead(models.Model):
    """How far a user has read a case's docket: the highest docket number on record when they last opened the
    Docket tab. Filings numbered above it, by someone else, are "unread" on their dashboard. Docket numbers only grow
    (one_filing_per_number), so one high-water mark per user and case is the whole read state."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="one_docket_read_per_user_and_case")]

    def __str__(self) -> str:
        return f"{self.user_id} read docket of {self.case_id} up to {self.last_number}"
