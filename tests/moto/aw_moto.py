#!/usr/bin/env python3
"""moto's server plus the pieces Alert Whisperer's tests need that moto 5.2 lacks.

Usage:  python tests/moto/aw_moto.py --host 127.0.0.1 --port N

Serves every moto service on one port, exactly like ``moto_server`` (moto's own
``DomainDispatcherApplication`` routes each request by its SigV4 credential
scope / Host / X-Amz-Target), behind a small WSGI middleware that adds:

* a control API under ``/_aw/`` (moto routes nothing there).  Fixture kinds
  KIND = instances | patch_states | compliance_summaries, each a JSON array of
  objects with AWS's field names (dates as epoch seconds, ISO 8601 accepted; an
  instance may also carry "Tags": {"KEY": "VALUE", ...} (or AWS's [{"Key", "Value"}]
  list), used by SendCommand's tag targets and left out of DescribeInstanceInformation):
    POST   /_aw/KIND[?account=123456789012]
                           -> replaces that account's fixtures of KIND (without
                              ?account: the default ones, answered to every account
                              that has none of its own; an empty array set for an
                              account means "none", not "the default"); 204
    GET    /_aw/KIND[?account=...]
                           -> what that account is answered (its own fixtures, else
                              the default); without ?account the default (200, array)
    DELETE /_aw/KIND[?account=...]
                           -> forgets that account's own fixtures (it falls back to
                              the default) / without ?account the default ones; 204
    GET    /_aw/calls      -> {"AssumeRole": [...], "CreateActivation": [...],
                               "DescribeInstanceInformation": [...],
                               "DescribeInstancePatchStates": [...],
                               "ListResourceComplianceSummaries": [...],
                               the Run Command and QuickSight operations below: [...]},
                              in arrival order; DescribeInstancePatchStates,
                              ListResourceComplianceSummaries and the Run Command and
                              QuickSight calls carry the request's parameters plus
                              "Account", the account the call was answered for
    DELETE /_aw/calls      -> forgets the recorded calls (every key above); 204
  A malformed ?account (not 12 digits) or body answers 400.
* The account of an SSM request: the access key id of its SigV4 Authorization
  header, mapped to the account of the RoleArn it was issued for when AssumeRole
  handed it out (read from moto's AssumeRole answer); keys not issued that way
  fall back to moto's own mapping (123456789012 for plain keys).
* SSM DescribeInstanceInformation (answers the account's instances;
  MaxResults/NextToken honoured, the token being the next index as a decimal
  string; Filters and InstanceInformationFilterList are recorded but NOT applied).
* SSM DescribeInstancePatchStates (the account's patch states for the requested
  InstanceIds, in fixture order, unknown ids omitted; all of them without
  InstanceIds; MaxResults/NextToken as above).
* SSM ListResourceComplianceSummaries (the account's summaries; Filters with Key
  ComplianceType, ResourceType, ResourceId, Status or OverallSeverity and Type
  EQUAL (the default) or NOT_EQUAL are applied, other filters recorded only;
  MaxResults/NextToken as above).
* SSM CreateActivation (fresh uuid4 ActivationId, 20-char alphanumeric code).
* SSM Run Command (moto's own always reports Success and has no
  ListCommandInvocations): SendCommand, GetCommandInvocation,
  ListCommandInvocations, ListCommands and CancelCommand, per account (the
  caller's, as above); a command of another account does not exist for the caller.
  Every call is recorded in /_aw/calls under its operation with the request body
  plus "Account"; SendCommand's also with "RoleArn" (the ARN of the role whose
  AssumeRole handed out the caller's key, else null).
  - SendCommand: DocumentName is required (else 400 ValidationException); exactly
    one of InstanceIds and Targets (neither or both: 400 InvalidParameters; a
    repeated instance id: 400 DuplicateInstanceId). InstanceIds are taken as given
    (not checked against the fixtures). Targets are resolved against the
    account's `instances` fixtures (its own, else the default ones): Key
    "InstanceIds" selects its Values ("*": every fixture instance), "tag:NAME" the
    instances whose Tags[NAME] is one of the Values, "tag-key" those having one of
    the Values as a tag key; several targets must all hold; any other key is 400
    InvalidParameters. Resolving to no instance is fine (TargetCount 0, Status
    Success at once). A caller whose role ARN contains "NoRunCommand" gets 400
    AccessDeniedException ("User: ROLE_ARN is not authorized to perform:
    ssm:SendCommand on resource: ...") and nothing is created (the call is still
    recorded). The answer is {"Command": {...}} with every field of the model's
    Command except TriggeredAlarms: a uuid4 CommandId, DocumentVersion (default
    "$DEFAULT"), Comment (default ""), Parameters, InstanceIds and Targets as sent
    (InstanceIds [] when sent by Targets and vice versa), RequestedDateTime (epoch
    seconds) and ExpiresAfter (RequestedDateTime + TimeoutSeconds), TimeoutSeconds
    (default 3600; outside 30..2592000: 400 ValidationException), MaxConcurrency
    (default "50"), MaxErrors (default "0"), TargetCount (resolved instances),
    OutputS3*/ServiceRole ("" unless sent), NotificationConfig and
    CloudWatchOutputConfig (empty ones unless sent), Status/StatusDetails "Pending"
    and zero counts (Status "Success" when TargetCount is 0). One invocation per
    resolved instance is created at once, taking its outcome from the outcome table
    (below).
  - Invocation outcome: Status (Pending | InProgress | Delayed | Success | Failed |
    TimedOut | Cancelled; default Success), StatusDetails (default by Status:
    Success, Failed, ExecutionTimedOut, InProgress, Delayed, Cancelled, Pending),
    ResponseCode (default 0 for Success, 1 for Failed, -1 otherwise),
    StandardOutputContent and StandardErrorContent (default ""), PendingPolls
    (default 0): while n > 0 the invocation is reported InProgress / StatusDetails
    "InProgress" / ResponseCode -1 / empty output / no end time, and each
    GetCommandInvocation on it (only that call) counts n down after answering; so
    the first n GetCommandInvocation calls answer InProgress, and once they are made
    every read (GetCommandInvocation call n+1, ListCommandInvocations, ListCommands,
    GET /_aw/commands) reports the outcome.
    Pending, InProgress and Delayed stay as they are until POST /_aw/invocations
    or CancelCommand changes them. Once no poll is pending, the outcome's
    StandardOutputContent/StandardErrorContent are answered whatever its Status.
  - A command's Status follows its invocations' reported statuses: InProgress while
    any is Pending, InProgress or Delayed; else Success when all succeeded (or there
    are none); else the first of Failed, TimedOut, Cancelled that any has.
    StatusDetails is that status's default above; CompletedCount counts terminal
    invocations (Success, Failed, TimedOut, Cancelled), ErrorCount the Failed and
    TimedOut ones (TimedOut with StatusDetails "DeliveryTimedOut" counting in
    DeliveryTimedOutCount instead).
  - GetCommandInvocation(CommandId, InstanceId, PluginName optional): CommandId,
    InstanceId, Comment, DocumentName, DocumentVersion, PluginName
    ("aws:runPowerShellScript" when DocumentName contains "PowerShell", else
    "aws:runShellScript"; another PluginName asked for: 400 InvalidPluginName),
    ResponseCode, Status, StatusDetails, StandardOutputContent,
    StandardErrorContent, StandardOutputUrl "", StandardErrorUrl "",
    CloudWatchOutputConfig, and, STRINGS as the model has them (not timestamps):
    ExecutionStartDateTime (the command's RequestedDateTime as ISO 8601 UTC with
    milliseconds, e.g. "2026-01-01T00:00:00.123Z"; "" while Pending or Delayed),
    ExecutionEndDateTime (when the reported status turned terminal, same format;
    "" before) and ExecutionElapsedTime ("PT<seconds>.<ms>S", end - start, or
    now - start while running; "" while Pending or Delayed). Unknown command,
    another account's command, or an instance it was not sent to: 400
    InvocationDoesNotExist.
  - ListCommandInvocations(CommandId, InstanceId, Details, MaxResults, NextToken;
    Filters recorded, not applied): the invocations of CommandId (unknown: 400
    InvalidCommandId) or of all the account's commands, optionally only
    InstanceId's, in send order then instance order. Each: CommandId, InstanceId,
    InstanceName (the fixture's ComputerName, else ""), Comment, DocumentName,
    DocumentVersion, RequestedDateTime (epoch seconds), Status, StatusDetails,
    TraceOutput "", StandardOutputUrl "", StandardErrorUrl "", ServiceRole,
    NotificationConfig, CloudWatchOutputConfig and CommandPlugins: [] unless
    Details is true, then one plugin {Name, Status (Delayed shown as Pending, the
    plugin enum having no Delayed), StatusDetails, ResponseCode,
    ResponseStartDateTime and ResponseFinishDateTime (epoch seconds, each only when
    known as above), Output (stdout, plus "\\n----------ERROR-------\\n" and stderr
    when there is stderr, cut to 2500 chars), StandardOutputUrl "",
    StandardErrorUrl "", OutputS3Region, OutputS3BucketName, OutputS3KeyPrefix}.
    MaxResults (default 50) / NextToken as for DescribeInstanceInformation.
  - ListCommands(CommandId, InstanceId, MaxResults, NextToken; Filters recorded,
    not applied): the account's commands in send order (only CommandId's, unknown:
    400 InvalidCommandId; only those with an invocation on InstanceId), each the
    Command object with its current Status and counts; pages as above.
  - CancelCommand(CommandId, InstanceIds optional): every invocation (of those
    instances, or all) not reported terminal becomes Cancelled at once
    (StatusDetails "Cancelled", ResponseCode -1, PendingPolls 0, output kept);
    terminal ones are untouched. Answers {}. Unknown command: 400 InvalidCommandId;
    an instance the command was not sent to: 400 InvalidInstanceId.
  Control API for Run Command:
    POST   /_aw/invocation_outcomes  {"INSTANCE_ID or *": {outcome fields}, ...}
                           -> replaces the outcome table, 204 (an unknown field, a
                              wrong type or an unknown Status: 400). SendCommand
                              gives each new invocation its instance's entry, else
                              "*"'s, else the default outcome (Success, code 0, no
                              output); later changes of the table don't touch
                              existing invocations
    GET    /_aw/invocation_outcomes  -> the table (200, object)
    DELETE /_aw/invocation_outcomes  -> empties the table; 204
    POST   /_aw/invocations  {"CommandId": ..., "InstanceId": ..., outcome fields}
                           -> sets those fields of that invocation's outcome (a new
                              Status brings its default StatusDetails and ResponseCode
                              unless given too; the end time is stamped when the
                              reported status turns terminal); 204; unknown invocation
                              (of any account): 404 {"error": ...}; bad body: 400
    GET    /_aw/commands   -> {ACCOUNT: [{Command object as ListCommands answers it,
                               "Invocations": [{GetCommandInvocation's answer (PluginName
                               etc.), "InstanceName", "RequestedDateTime",
                               "PendingPolls" (the polls still to answer InProgress)}]}]},
                              read without counting any poll down
    DELETE /_aw/commands   -> forgets every account's commands (not the outcome
                              table); 204
* SSM Automation (moto 5.2 has none of it): StartAutomationExecution,
  GetAutomationExecution, DescribeAutomationStepExecutions,
  StopAutomationExecution and SendAutomationSignal, per account (the caller's, as above); an execution of
  another account does not exist for the caller (400
  AutomationExecutionNotFoundException, as for an unknown id). Every call is
  recorded in /_aw/calls under its operation with the request body plus "Account";
  StartAutomationExecution's and SendAutomationSignal's also with "RoleArn".
  - StartAutomationExecution: DocumentName required (else 400 ValidationException);
    a caller whose role ARN contains "NoAutomation" gets 400 AccessDeniedException
    ("... is not authorized to perform: ssm:StartAutomationExecution ...") and
    nothing is started. A ClientToken already used in the account answers that
    execution's id again (no second execution). Answers {"AutomationExecutionId":
    uuid4}. The execution takes its steps from the automation outcome table
    (below): the DocumentName's entry, else "*"'s, else the document's default
    steps, all succeeding: AWS-RestartEC2Instance stopInstances, startInstances
    (aws:changeInstanceState); AWS-CreateSnapshot createSnapshot
    (aws:executeAwsApi); any other document one step "run" (aws:executeScript).
  - Step progression: an execution has a tick counter, advanced by one BEFORE each
    GetAutomationExecution answers (only that call). With PollsPerStep P (default
    1), step i is shown from tick i*P: InProgress (Waiting if its outcome Status
    is Waiting) until tick (i+1)*P, then its outcome Status (Success, Failed,
    TimedOut, Cancelled). A step whose Status is Waiting (an aws:approve step
    nobody approves) waits forever. The first step that does not succeed ends the
    execution with that status (Waiting: the execution is Waiting) and the later
    steps are never shown; all steps succeeded: Success. Steps not reached yet are
    not listed. Start and end times are stamped when a read first shows the step
    running / finished.
  - GetAutomationExecution(AutomationExecutionId): {"AutomationExecution":
    {AutomationExecutionId, DocumentName, DocumentVersion ("$DEFAULT" unless sent),
    ExecutionStartTime, ExecutionEndTime (once terminal; epoch seconds),
    AutomationExecutionStatus, StepExecutions (as below), Parameters, Outputs {},
    Mode "Auto", ExecutedBy (the caller's role ARN or ""), CurrentStepName,
    CurrentAction, FailureMessage (the outcome's FailureMessage, else "Step NAME
    failed: MESSAGE", when it failed), Targets, TargetParameterName,
    MaxConcurrency, MaxErrors, Tags as sent}}.
  - DescribeAutomationStepExecutions(AutomationExecutionId, MaxResults, NextToken;
    Filters recorded, not applied): {"StepExecutions": [{StepName, Action,
    StepExecutionId, StepStatus, ExecutionStartTime, ExecutionEndTime (epoch
    seconds, once known), FailureMessage (Failed/TimedOut steps), OnFailure
    "Abort", MaxAttempts 1, Inputs {}, Outputs {}, IsEnd}]}, paged as
    DescribeInstanceInformation (default 50).
  - StopAutomationExecution(AutomationExecutionId, Type Cancel (default) or
    Complete): a running or waiting execution stops where it is: its current step
    and the execution are Cancelled (Complete: the step Cancelled, the execution
    Success), ticks stop counting. Answers {}. A finished execution: 400
    InvalidAutomationStatusUpdateException.
  - SendAutomationSignal(AutomationExecutionId, SignalType Approve | Reject, Payload
    {"Comment": [...]}): only while the execution waits on a step whose Action is
    aws:approve (else 400 InvalidAutomationSignalException "The signal is not valid
    for the current Automation execution."; another SignalType: 400
    ValidationException). Approve: the step's outcome becomes Success and the
    execution goes on from there (the step InProgress until its ticks are done, as
    any step). Reject: the step's outcome becomes Failed with FailureMessage "Step
    was rejected by ROLE ARN: COMMENT" and the execution ends Failed. Approvers are
    not checked (real SSM requires the caller among the step's Approvers). Answers {}.
  Control API for Automation:
    POST   /_aw/automation_outcomes  {"DOCUMENT_NAME or *": {"Steps": [{"Name": ...,
                              "Action": ..., "Status": Success | Failed | TimedOut |
                              Cancelled | Waiting (default Success), "FailureMessage":
                              ...}, ...], "PollsPerStep": n, "FailureMessage": ...}}
                           -> replaces the table, 204 (bad entry: 400); executions
                              already started keep their steps
    GET    /_aw/automation_outcomes -> the table (200, object)
    DELETE /_aw/automation_outcomes -> empties the table; 204
    GET    /_aw/automations -> {ACCOUNT: [the GetAutomationExecution object of each
                              execution, read without advancing it, plus "Ticks"]}
    DELETE /_aw/automations -> forgets every account's automation executions; 204
* SSM Session Manager (moto 5.2 has none of it): StartSession, TerminateSession
  and DescribeSessions, per account (the caller's, as above); a session of another
  account does not exist for the caller. Every call is recorded in /_aw/calls under
  its operation with the request body plus "Account" and "RoleArn". No data
  channel exists: the StreamUrl answered is never served.
  - StartSession(Target, DocumentName, Reason, Parameters): Target required (else
    400 ValidationException); a caller whose role ARN contains "NoSession" gets 400
    AccessDeniedException ("... is not authorized to perform: ssm:StartSession
    ..."). Answers {"SessionId": "<role name>-<17 hex>", "TokenValue":
    random, "StreamUrl": "wss://ssmmessages.REGION.amazonaws.com/v1/data-channel/
    SESSIONID?role=publish_subscribe"}; the session is Connected at once, Owner the
    caller's role ARN (or "").
  - TerminateSession(SessionId): the account's session becomes Terminated (EndDate
    stamped); answers {"SessionId": ...}. An unknown or already terminated session
    answers {"SessionId": ...} too, as SSM does (idempotent).
  - DescribeSessions(State Active | History, required; Filters with keys
    SessionId, Target, Owner, Status applied; MaxResults, NextToken): Active lists
    Connected sessions, History terminated ones, newest first: {"Sessions":
    [{SessionId, Target, Status, StartDate, EndDate (once ended; epoch seconds),
    DocumentName, Owner, Reason, Details ""}]}, paged as DescribeInstanceInformation
    (default 20, as SSM).
  Control API for Session Manager:
    GET    /_aw/sessions -> {ACCOUNT: [DescribeSessions' object of each session]}
    DELETE /_aw/sessions -> forgets every account's sessions; 204
    POST   /_aw/sessions/end {"SessionId": ...} -> the active session ends by itself
                              (Terminated, EndDate stamped; no TerminateSession call
                              is recorded), as when the client closes it or SSM's
                              idle timeout ends it; 204 (no such active session: 404)
* QuickSight data sources, data sets and ingestions (moto 5.2 has no
  UpdateDataSet, DescribeDataSet, DescribeIngestion, and never answers
  ResourceExistsException), emulated per account, requests signed for
  "quicksight" only:
    POST /accounts/A/data-sources            CreateDataSource (409 ResourceExistsException
                                             when the id exists)
    PUT  /accounts/A/data-sources/ID         UpdateDataSource (404 ResourceNotFoundException)
    GET  /accounts/A/data-sources/ID         DescribeDataSource
    POST /accounts/A/data-sets               CreateDataSet (409 when the id exists; 400
                                             InvalidParameterValueException when an
                                             S3Source names an unknown data source or a
                                             non-STRING input column)
    PUT  /accounts/A/data-sets/ID            UpdateDataSet (same checks; 404 when missing)
    GET  /accounts/A/data-sets/ID            DescribeDataSet
    PUT  /accounts/A/data-sets/ID/ingestions/ING   CreateIngestion (404 without the data
                                             set, 409 for a known ingestion id)
    GET  /accounts/A/data-sets/ID/ingestions/ING   DescribeIngestion (COMPLETED)
  The account A in the path must be the caller's (by its access key, as for SSM),
  else 403 AccessDeniedException; so is every call made with credentials of a
  role whose ARN contains "NoQuickSight". Creating or updating a data set starts
  no ingestion of its own. Calls are recorded under their operation names in
  /_aw/calls (with "Account" and the request body); the objects are read back with
    GET    /_aw/quicksight  -> {ACCOUNT: {"DataSources": {ID: {...}},
                                          "DataSets": {ID: {...}},
                                          "Ingestions": [{...}, ...]}}
* STS AssumeRole: recorded, then handed to moto unchanged (its answer's
  AccessKeyId is remembered with the role's account); a RoleArn containing
  "Denied" answers STS's AccessDenied (HTTP 403) instead.

The interception is done in the WSGI middleware, before moto sees the request:
SSM calls are recognised by the X-Amz-Target header, STS AssumeRole by
Action=AssumeRole in the form body (or query string). moto itself is not patched.

Prints "aw_moto ready on HOST:PORT" (the real port, so --port 0 works) once the
socket listens; exits 0 on SIGTERM/SIGINT.
"""

import argparse
import datetime
import io
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs
from xml.sax.saxutils import escape as xml_escape

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

CONTROL_PREFIX = "/_aw/"
SSM_TARGET_PREFIX = "AmazonSSM."
DEFAULT_PAGE_SIZE = 10  # AWS's documented default for DescribeInstanceInformation
DATE_FIELDS = ("LastPingDateTime", "RegistrationDate")
PATCH_DATE_FIELDS = ("OperationStartTime", "OperationEndTime")
FIXTURE_KINDS = ("instances", "patch_states", "compliance_summaries")
COMPLIANCE_FILTER_KEYS = ("ComplianceType", "ResourceType", "ResourceId", "Status", "OverallSeverity")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
ROLE_ACCOUNT_RE = re.compile(r"^arn:[^:]+:iam::([0-9]{12}):")
FALLBACK_ACCOUNT = "123456789012"  # moto's DEFAULT_ACCOUNT_ID
QUICKSIGHT_OPERATIONS = (
    "CreateDataSource", "UpdateDataSource", "DescribeDataSource",
    "CreateDataSet", "UpdateDataSet", "DescribeDataSet",
    "CreateIngestion", "DescribeIngestion",
)
QS_PATH_RE = re.compile(
    r"^/accounts/(?P<account>[^/]+)/(?P<kind>data-sources|data-sets)"
    r"(?:/(?P<id>[^/]+)(?:/ingestions/(?P<ingestion>[^/]+))?)?$"
)
ALNUM = string.ascii_letters + string.digits
RUN_COMMAND_OPERATIONS = (
    "SendCommand", "GetCommandInvocation", "ListCommandInvocations", "ListCommands", "CancelCommand",
)
RUN_COMMAND_PAGE_SIZE = 50  # the most CommandMaxResults allows
AUTOMATION_OPERATIONS = (
    "StartAutomationExecution", "GetAutomationExecution", "DescribeAutomationStepExecutions",
    "StopAutomationExecution", "SendAutomationSignal",
)
SESSION_OPERATIONS = ("StartSession", "TerminateSession", "DescribeSessions")
SESSION_FILTER_KEYS = ("SessionId", "Target", "Owner", "Status")
STEP_OUTCOMES = ("Success", "Failed", "TimedOut", "Cancelled", "Waiting")
DEFAULT_AUTOMATION_STEPS: Dict[str, List[Dict[str, str]]] = {
    "AWS-RestartEC2Instance": [
        {"Name": "stopInstances", "Action": "aws:changeInstanceState"},
        {"Name": "startInstances", "Action": "aws:changeInstanceState"},
    ],
    "AWS-CreateSnapshot": [{"Name": "createSnapshot", "Action": "aws:executeAwsApi"}],
}
INVOCATION_STATUSES = ("Pending", "InProgress", "Delayed", "Success", "Failed", "TimedOut", "Cancelled")
TERMINAL_STATUSES = ("Success", "Failed", "TimedOut", "Cancelled")
DEFAULT_STATUS_DETAILS = {
    "Pending": "Pending", "InProgress": "InProgress", "Delayed": "Delayed", "Success": "Success",
    "Failed": "Failed", "TimedOut": "ExecutionTimedOut", "Cancelled": "Cancelled",
}
DEFAULT_RESPONSE_CODES = {"Success": 0, "Failed": 1}  # every other status: -1
OUTCOME_FIELDS: Dict[str, type] = {
    "Status": str, "StatusDetails": str, "ResponseCode": int,
    "StandardOutputContent": str, "StandardErrorContent": str, "PendingPolls": int,
}
PLUGIN_OUTPUT_LIMIT = 2500  # CommandPlugin.Output's documented size

Json = Any
StartResponse = Callable[..., Any]


class State:
    """Fixtures and recorded calls, shared by the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # kind -> account id (None: the default) -> fixture list
        self.fixtures: Dict[str, Dict[Optional[str], List[Dict[str, Json]]]] = {
            kind: {None: []} for kind in FIXTURE_KINDS
        }
        # access key id handed out by AssumeRole -> the assumed role's account
        self.key_accounts: Dict[str, str] = {}
        self.calls: Dict[str, List[Dict[str, Json]]] = self._empty_calls()
        # access key id handed out by AssumeRole -> the assumed role's ARN
        self.key_roles: Dict[str, str] = {}
        # account -> {"DataSources": {id: obj}, "DataSets": {id: obj}, "Ingestions": [obj]}
        self.quicksight: Dict[str, Dict[str, Any]] = {}
        # account -> commands sent by SendCommand, in arrival order; each a dict of the
        # Command fields that never change plus "Invocations": [invocation record]
        self.commands: Dict[str, List[Dict[str, Any]]] = {}
        # instance id or "*" -> the outcome an invocation created by SendCommand takes
        self.invocation_outcomes: Dict[str, Dict[str, Json]] = {}
        # account -> automation executions in start order
        self.automations: Dict[str, List[Dict[str, Any]]] = {}
        # document name or "*" -> {"Steps": [...], "PollsPerStep": n, "FailureMessage": str}
        self.automation_outcomes: Dict[str, Dict[str, Json]] = {}
        # account -> Session Manager sessions in start order
        self.sessions: Dict[str, List[Dict[str, Any]]] = {}

    @staticmethod
    def _empty_calls() -> Dict[str, List[Dict[str, Json]]]:
        return {
            "AssumeRole": [],
            "CreateActivation": [],
            "DescribeInstanceInformation": [],
            "DescribeInstancePatchStates": [],
            "ListResourceComplianceSummaries": [],
            **{operation: [] for operation in QUICKSIGHT_OPERATIONS},
            **{operation: [] for operation in RUN_COMMAND_OPERATIONS},
            **{operation: [] for operation in AUTOMATION_OPERATIONS},
            **{operation: [] for operation in SESSION_OPERATIONS},
        }

    def record(self, operation: str, params: Dict[str, Json]) -> None:
        with self.lock:
            self.calls[operation].append(params)

    def snapshot_calls(self) -> Dict[str, List[Dict[str, Json]]]:
        with self.lock:
            return {k: list(v) for k, v in self.calls.items()}

    def reset_calls(self) -> None:
        with self.lock:
            self.calls = self._empty_calls()

    def set_fixtures(self, kind: str, account: Optional[str], items: List[Dict[str, Json]]) -> None:
        with self.lock:
            self.fixtures[kind][account] = items

    def delete_fixtures(self, kind: str, account: Optional[str]) -> None:
        with self.lock:
            if account is None:
                self.fixtures[kind][None] = []
            else:
                self.fixtures[kind].pop(account, None)

    def get_fixtures(self, kind: str, account: Optional[str]) -> List[Dict[str, Json]]:
        """The account's own fixtures of KIND, else the default ones."""
        with self.lock:
            per_account = self.fixtures[kind]
            if account is not None and account in per_account:
                return list(per_account[account])
            return list(per_account[None])

    def remember_key(self, access_key_id: str, account: str) -> None:
        with self.lock:
            self.key_accounts[access_key_id] = account

    def remember_role(self, access_key_id: str, role_arn: str) -> None:
        with self.lock:
            self.key_roles[access_key_id] = role_arn

    def role_of_key(self, access_key_id: str) -> Optional[str]:
        with self.lock:
            return self.key_roles.get(access_key_id)

    def quicksight_account(self, account: str) -> Dict[str, Any]:
        """The account's QuickSight objects (call with the lock held)."""
        return self.quicksight.setdefault(account, {"DataSources": {}, "DataSets": {}, "Ingestions": []})

    def account_of_key(self, access_key_id: str) -> Optional[str]:
        with self.lock:
            return self.key_accounts.get(access_key_id)


def _epoch(value: Json) -> Json:
    """Dates are epoch seconds on the wire; accept ISO 8601 strings in fixtures too."""
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed.timestamp()
    return value


def _normalise(kind: str, item: Dict[str, Json]) -> Dict[str, Json]:
    """A fixture with its dates as epoch seconds."""
    item = json.loads(json.dumps(item))  # a deep copy
    if kind == "instances":
        for field in DATE_FIELDS:
            if field in item:
                item[field] = _epoch(item[field])
        tags = item.get("Tags")
        if isinstance(tags, list):  # AWS's [{"Key": k, "Value": v}] form is accepted too
            item["Tags"] = {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)}
    elif kind == "patch_states":
        for field in PATCH_DATE_FIELDS:
            if field in item:
                item[field] = _epoch(item[field])
    elif kind == "compliance_summaries":
        summary = item.get("ExecutionSummary")
        if isinstance(summary, dict) and "ExecutionTime" in summary:
            summary["ExecutionTime"] = _epoch(summary["ExecutionTime"])
    return item


def _read_body(environ: Dict[str, Any]) -> bytes:
    """Read the request body and put it back so that moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _credential_scope(environ: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """(access key id, signing service) from a SigV4 Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    if not match:
        return None, None
    return match.group(1), match.group(2).lower()


# ---- SSM Run Command: invocation records and their views -------------------------
# An invocation record (held in State.commands under its command's "Invocations") is
# {"InstanceId", "InstanceName", "Status", "StatusDetails", "ResponseCode",
#  "StandardOutputContent", "StandardErrorContent", "PendingPolls", "StartedAt", "EndedAt"}:
# the outcome the invocation ends with, the GetCommandInvocation calls still to be answered
# "InProgress", and epoch seconds (EndedAt None until the reported status is terminal).


def _now() -> float:
    """The current time as epoch seconds, to the millisecond like AWS."""
    return round(datetime.datetime.now(datetime.timezone.utc).timestamp(), 3)


def _iso(moment: Optional[float]) -> str:
    """GetCommandInvocation's StringDateTime: ISO 8601 UTC with milliseconds, "" for none."""
    if moment is None:
        return ""
    when = datetime.datetime.fromtimestamp(moment, datetime.timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plugin_name(document_name: str) -> str:
    """The one plugin of a Run Command document, as AWS names it."""
    return "aws:runPowerShellScript" if "powershell" in document_name.lower() else "aws:runShellScript"


def _check_outcome(entry: Json) -> Optional[str]:
    """What is wrong with an invocation outcome object (every field optional), if anything."""
    if not isinstance(entry, dict):
        return "an outcome must be a JSON object"
    for field, value in entry.items():
        kind = OUTCOME_FIELDS.get(field)
        if kind is None:
            return f"unknown outcome field {field!r} (known: {', '.join(OUTCOME_FIELDS)})"
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"outcome field {field} must be a {'string' if kind is str else 'integer'}"
    if "Status" in entry and entry["Status"] not in INVOCATION_STATUSES:
        return f"Status must be one of {', '.join(INVOCATION_STATUSES)}"
    if entry.get("PendingPolls", 0) < 0:
        return "PendingPolls must not be negative"
    return None


def _reported(invocation: Dict[str, Any]) -> Tuple[str, str, int]:
    """(Status, StatusDetails, ResponseCode) as answered now: in progress while polls are pending."""
    if invocation["PendingPolls"] > 0:
        return "InProgress", DEFAULT_STATUS_DETAILS["InProgress"], -1
    return invocation["Status"], invocation["StatusDetails"], invocation["ResponseCode"]


def _settle(invocation: Dict[str, Any], now: float) -> None:
    """Stamp the end time when the reported status turns terminal; clear it when it is not."""
    if _reported(invocation)[0] in TERMINAL_STATUSES:
        if invocation["EndedAt"] is None:
            invocation["EndedAt"] = now
    else:
        invocation["EndedAt"] = None


def _apply_outcome(invocation: Dict[str, Any], outcome: Dict[str, Json], now: float) -> None:
    """Set the outcome fields OUTCOME names; a new Status brings its default details and code."""
    if "Status" in outcome:
        status = outcome["Status"]
        invocation["Status"] = status
        invocation["StatusDetails"] = DEFAULT_STATUS_DETAILS[status]
        invocation["ResponseCode"] = DEFAULT_RESPONSE_CODES.get(status, -1)
    for field in ("StatusDetails", "ResponseCode", "StandardOutputContent", "StandardErrorContent", "PendingPolls"):
        if field in outcome:
            invocation[field] = outcome[field]
    _settle(invocation, now)


def _new_invocation(instance_id: str, instance_name: str, outcome: Dict[str, Json], now: float) -> Dict[str, Any]:
    """An invocation started at NOW that ends with OUTCOME (by default: Success, code 0, no output)."""
    invocation: Dict[str, Any] = {
        "InstanceId": instance_id, "InstanceName": instance_name, "Status": "Success",
        "StatusDetails": "Success", "ResponseCode": 0, "StandardOutputContent": "",
        "StandardErrorContent": "", "PendingPolls": 0, "StartedAt": now, "EndedAt": None,
    }
    _apply_outcome(invocation, dict({"Status": "Success"}, **outcome), now)
    return invocation


def _execution_times(invocation: Dict[str, Any], now: float) -> Tuple[Optional[float], Optional[float]]:
    """(start, end) as epoch seconds: no start while Pending or Delayed, no end until terminal."""
    status = _reported(invocation)[0]
    if status in ("Pending", "Delayed"):
        return None, None
    return invocation["StartedAt"], invocation["EndedAt"] if status in TERMINAL_STATUSES else None


def _invocation_result(command: Dict[str, Any], invocation: Dict[str, Any], now: float) -> Dict[str, Json]:
    """GetCommandInvocation's answer for INVOCATION (its dates are ISO 8601 strings, per the model)."""
    status, details, code = _reported(invocation)
    start, end = _execution_times(invocation, now)
    elapsed = "" if start is None else f"PT{max(0.0, (end if end is not None else now) - start):.3f}S"
    shown = invocation["PendingPolls"] == 0  # the outcome's output is not reported while polls are pending
    return {
        "CommandId": command["CommandId"], "InstanceId": invocation["InstanceId"],
        "Comment": command["Comment"], "DocumentName": command["DocumentName"],
        "DocumentVersion": command["DocumentVersion"], "PluginName": _plugin_name(command["DocumentName"]),
        "ResponseCode": code, "ExecutionStartDateTime": _iso(start), "ExecutionElapsedTime": elapsed,
        "ExecutionEndDateTime": _iso(end), "Status": status, "StatusDetails": details,
        "StandardOutputContent": invocation["StandardOutputContent"] if shown else "",
        "StandardOutputUrl": "",
        "StandardErrorContent": invocation["StandardErrorContent"] if shown else "",
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": command["CloudWatchOutputConfig"],
    }


def _invocation_item(command: Dict[str, Any], invocation: Dict[str, Any], details: bool, now: float) -> Dict[str, Json]:
    """ListCommandInvocations' CommandInvocation; CommandPlugins filled in only with DETAILS."""
    status, status_details, code = _reported(invocation)
    plugins: List[Dict[str, Json]] = []
    if details:
        start, end = _execution_times(invocation, now)
        output = ""
        if invocation["PendingPolls"] == 0:
            output = invocation["StandardOutputContent"]
            if invocation["StandardErrorContent"]:
                output += "\n----------ERROR-------\n" + invocation["StandardErrorContent"]
        plugin: Dict[str, Json] = {
            "Name": _plugin_name(command["DocumentName"]),
            "Status": "Pending" if status == "Delayed" else status,  # CommandPluginStatus has no Delayed
            "StatusDetails": status_details, "ResponseCode": code,
            "Output": output[:PLUGIN_OUTPUT_LIMIT], "StandardOutputUrl": "", "StandardErrorUrl": "",
            "OutputS3Region": command["OutputS3Region"], "OutputS3BucketName": command["OutputS3BucketName"],
            "OutputS3KeyPrefix": command["OutputS3KeyPrefix"],
        }
        if start is not None:
            plugin["ResponseStartDateTime"] = start
        if end is not None:
            plugin["ResponseFinishDateTime"] = end
        plugins.append(plugin)
    return {
        "CommandId": command["CommandId"], "InstanceId": invocation["InstanceId"],
        "InstanceName": invocation["InstanceName"], "Comment": command["Comment"],
        "DocumentName": command["DocumentName"], "DocumentVersion": command["DocumentVersion"],
        "RequestedDateTime": command["RequestedDateTime"], "Status": status, "StatusDetails": status_details,
        "TraceOutput": "", "StandardOutputUrl": "", "StandardErrorUrl": "", "CommandPlugins": plugins,
        "ServiceRole": command["ServiceRole"], "NotificationConfig": command["NotificationConfig"],
        "CloudWatchOutputConfig": command["CloudWatchOutputConfig"],
    }


def _command_item(command: Dict[str, Any]) -> Dict[str, Json]:
    """The Command object, its Status and counts following its invocations' reported statuses."""
    statuses = [_reported(i)[:2] for i in command["Invocations"]]
    plain = [s for s, _ in statuses]
    if any(s not in TERMINAL_STATUSES for s in plain):
        status = "InProgress"
    elif all(s == "Success" for s in plain):
        status = "Success"  # also with no invocations at all
    else:
        status = next(s for s in ("Failed", "TimedOut", "Cancelled") if s in plain)
    item = {k: v for k, v in command.items() if k != "Invocations"}
    item.update(
        Status=status,
        StatusDetails=DEFAULT_STATUS_DETAILS[status],
        CompletedCount=sum(1 for s in plain if s in TERMINAL_STATUSES),
        ErrorCount=sum(1 for s, d in statuses if s == "Failed" or (s == "TimedOut" and d != "DeliveryTimedOut")),
        DeliveryTimedOutCount=sum(1 for s, d in statuses if s == "TimedOut" and d == "DeliveryTimedOut"),
    )
    return item


def _resolve_targets(targets: List[Json], instances: List[Dict[str, Json]]) -> Tuple[List[str], Optional[str]]:
    """The instance ids SendCommand's TARGETS select among the account's INSTANCES, or an error.

    Key "InstanceIds" selects its Values as given ("*": every instance), "tag:NAME" the
    instances whose Tags[NAME] is one of the Values, "tag-key" those having one of the
    Values as a tag key; several targets must all hold.
    """
    all_ids = [i["InstanceId"] for i in instances if isinstance(i.get("InstanceId"), str)]
    tags_of = {i["InstanceId"]: i.get("Tags") for i in instances if isinstance(i.get("InstanceId"), str)}
    chosen: Optional[List[str]] = None
    tests: List[Callable[[Dict[str, Json]], bool]] = []
    for target in targets:
        if not isinstance(target, dict):
            return [], "Each target must be an object with Key and Values."
        key, values = target.get("Key"), target.get("Values")
        if not isinstance(key, str) or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return [], "Each target needs a Key and a list of string Values."
        if key.lower() == "instanceids":
            named = all_ids if "*" in values else list(dict.fromkeys(values))
            chosen = named if chosen is None else [i for i in chosen if i in named]
        elif key.startswith("tag:"):
            tests.append(lambda tags, name=key[4:], wanted=values: tags.get(name) in wanted)
        elif key == "tag-key":
            tests.append(lambda tags, wanted=values: any(name in tags for name in wanted))
        else:
            return [], f"Target key {key} is not supported by aw_moto (InstanceIds, tag:<key> and tag-key are)."
    candidates = all_ids if chosen is None else chosen
    resolved = []
    for instance_id in candidates:
        tags = tags_of.get(instance_id)
        tags = tags if isinstance(tags, dict) else {}
        if all(test(tags) for test in tests):
            resolved.append(instance_id)
    return resolved, None


def _check_automation_outcomes(table: Json) -> Optional[str]:
    if not isinstance(table, dict):
        return "expected an object of document name (or *) -> outcome"
    for document, outcome in table.items():
        if not isinstance(outcome, dict):
            return f"{document}: expected an object"
        unknown = set(outcome) - {"Steps", "PollsPerStep", "FailureMessage"}
        if unknown:
            return f"{document}: unknown field(s) {sorted(unknown)}"
        polls = outcome.get("PollsPerStep", 1)
        if not isinstance(polls, int) or isinstance(polls, bool) or polls < 1:
            return f"{document}: PollsPerStep must be a whole number >= 1"
        if not isinstance(outcome.get("FailureMessage", ""), str):
            return f"{document}: FailureMessage must be a string"
        steps = outcome.get("Steps", [])
        if not isinstance(steps, list) or not steps:
            return f"{document}: Steps must be a non-empty array"
        for step in steps:
            if not isinstance(step, dict) or not isinstance(step.get("Name"), str) \
                    or not isinstance(step.get("Action", "aws:executeScript"), str):
                return f"{document}: each step needs a Name (and an Action) string"
            if step.get("Status", "Success") not in STEP_OUTCOMES:
                return f"{document}: step Status must be one of {', '.join(STEP_OUTCOMES)}"
            if not isinstance(step.get("FailureMessage", ""), str):
                return f"{document}: step FailureMessage must be a string"
    return None


def _automation_view(automation: Dict[str, Any], now: float) -> Tuple[str, List[Dict[str, Json]]]:
    """The execution's status and shown steps at its current tick (call with the lock held;
    stamps step times the first time a read shows them)."""
    per_step = automation["PollsPerStep"]
    tick = automation["Ticks"]
    stopped = automation["Stopped"]
    shown: List[Dict[str, Json]] = []
    overall: Optional[str] = None
    for index, step in enumerate(automation["Steps"]):
        first = index * per_step
        if tick < first:
            break
        times = automation["StepTimes"].setdefault(index, {"start": now, "end": None})
        outcome = step.get("Status", "Success")
        running = tick < first + per_step or outcome == "Waiting"
        if running:
            status = "Waiting" if outcome == "Waiting" else "InProgress"
            if stopped is not None:
                status = "Cancelled"
        else:
            status = outcome
        if status in TERMINAL_STATUSES and times["end"] is None:
            times["end"] = now
        item: Dict[str, Json] = {
            "StepName": step["Name"],
            "Action": step.get("Action", "aws:executeScript"),
            "StepExecutionId": step["StepExecutionId"],
            "StepStatus": status,
            "ExecutionStartTime": times["start"],
            "OnFailure": "Abort",
            "MaxAttempts": 1,
            "Inputs": {},
            "Outputs": {},
            "IsEnd": index == len(automation["Steps"]) - 1,
        }
        if times["end"] is not None:
            item["ExecutionEndTime"] = times["end"]
        if status in ("Failed", "TimedOut"):
            item["FailureMessage"] = step.get("FailureMessage") or f"Step {step['Name']} {status.lower()}"
        shown.append(item)
        if running:
            overall = status if stopped is None else ("Success" if stopped == "Complete" else "Cancelled")
            break
        if status != "Success":
            overall = status
            break
    if overall is None:
        overall = "Success" if len(shown) == len(automation["Steps"]) else "InProgress"
    if overall in TERMINAL_STATUSES and automation["EndTime"] is None:
        automation["EndTime"] = now
    return overall, shown


def _automation_item(automation: Dict[str, Any], now: float) -> Dict[str, Json]:
    """GetAutomationExecution's AutomationExecution (call with the lock held)."""
    status, steps = _automation_view(automation, now)
    item: Dict[str, Json] = {
        key: automation[key] for key in (
            "AutomationExecutionId", "DocumentName", "DocumentVersion", "ExecutionStartTime",
            "Parameters", "Mode", "ExecutedBy", "Targets", "TargetParameterName", "MaxConcurrency",
            "MaxErrors", "Tags",
        )
    }
    item.update(AutomationExecutionStatus=status, StepExecutions=steps, Outputs={})
    if automation["EndTime"] is not None:
        item["ExecutionEndTime"] = automation["EndTime"]
    if steps and status not in TERMINAL_STATUSES:
        item.update(CurrentStepName=steps[-1]["StepName"], CurrentAction=steps[-1]["Action"])
    if status in ("Failed", "TimedOut"):
        failed = next((s for s in steps if s["StepStatus"] == status), None)
        item["FailureMessage"] = automation["FailureMessage"] or (
            f"Step {failed['StepName']} failed: {failed.get('FailureMessage', '')}" if failed else status
        )
    return item


def _session_item(session: Dict[str, Any]) -> Dict[str, Json]:
    """DescribeSessions' object of a session."""
    item = {k: session[k] for k in ("SessionId", "Target", "Status", "StartDate", "DocumentName", "Owner",
                                      "Reason", "Details")}
    if session["EndDate"] is not None:
        item["EndDate"] = session["EndDate"]
    return item


class AwMoto:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(self, moto_app: Callable[..., Any], state: State) -> None:
        self.moto_app = moto_app
        self.state = state

    # ---- WSGI entry -------------------------------------------------------
    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
            return self.control(environ, start_response, path)

        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target == SSM_TARGET_PREFIX + "DescribeInstanceInformation":
            return self.describe_instance_information(environ, start_response)
        if target == SSM_TARGET_PREFIX + "CreateActivation":
            return self.create_activation(environ, start_response)
        if target == SSM_TARGET_PREFIX + "DescribeInstancePatchStates":
            return self.describe_instance_patch_states(environ, start_response)
        if target == SSM_TARGET_PREFIX + "ListResourceComplianceSummaries":
            return self.list_resource_compliance_summaries(environ, start_response)
        if target.startswith(SSM_TARGET_PREFIX) and target[len(SSM_TARGET_PREFIX):] in AUTOMATION_OPERATIONS:
            return self.automation(environ, start_response, target[len(SSM_TARGET_PREFIX):])
        if target.startswith(SSM_TARGET_PREFIX) and target[len(SSM_TARGET_PREFIX):] in SESSION_OPERATIONS:
            return self.session(environ, start_response, target[len(SSM_TARGET_PREFIX):])
        if target.startswith(SSM_TARGET_PREFIX) and target[len(SSM_TARGET_PREFIX):] in RUN_COMMAND_OPERATIONS:
            return self.run_command(environ, start_response, target[len(SSM_TARGET_PREFIX):])

        if not target:
            _, service = _credential_scope(environ)
            match = QS_PATH_RE.match(path) if service == "quicksight" else None
            if match is not None:
                return self.quicksight(environ, start_response, match)

        if not target and environ.get("REQUEST_METHOD") in ("POST", "GET"):
            params = self.query_params(environ)
            if params.get("Action") == "AssumeRole":
                _, service = _credential_scope(environ)
                if service in (None, "sts"):
                    denied = self.assume_role(environ, params)
                    if denied is not None:
                        return self.respond(start_response, *denied)
                    return self.assume_role_via_moto(environ, start_response, params.get("RoleArn", ""))

        return self.moto_app(environ, start_response)

    # ---- helpers ----------------------------------------------------------
    @staticmethod
    def respond(
        start_response: StartResponse,
        status: str,
        body: bytes,
        content_type: str,
        extra_headers: Optional[List[Tuple[str, str]]] = None,
    ) -> List[bytes]:
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers.extend(extra_headers or [])
        start_response(status, headers)
        return [body]

    def json_response(self, start_response: StartResponse, payload: Json) -> List[bytes]:
        request_id = str(uuid.uuid4())
        return self.respond(
            start_response,
            "200 OK",
            json.dumps(payload).encode(),
            "application/x-amz-json-1.1",
            [("x-amzn-RequestId", request_id)],
        )

    def json_error(
        self, start_response: StartResponse, status: str, code: str, message: str
    ) -> List[bytes]:
        body = json.dumps({"__type": code, "message": message}).encode()
        return self.respond(
            start_response,
            status,
            body,
            "application/x-amz-json-1.1",
            [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amzn-ErrorType", code)],
        )

    @staticmethod
    def json_params(environ: Dict[str, Any]) -> Dict[str, Json]:
        body = _read_body(environ)
        if not body.strip():
            return {}
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}

    @staticmethod
    def query_params(environ: Dict[str, Any]) -> Dict[str, str]:
        """Query-protocol parameters from the query string and a form body."""
        params: Dict[str, str] = {}
        for key, values in parse_qs(environ.get("QUERY_STRING", "")).items():
            params[key] = values[-1]
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = _read_body(environ).decode("utf-8", "replace")
            for key, values in parse_qs(body, keep_blank_values=True).items():
                params[key] = values[-1]
        return params

    # ---- control API ------------------------------------------------------
    def control(self, environ: Dict[str, Any], start_response: StartResponse, path: str) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        route = path[len(CONTROL_PREFIX):].strip("/")

        def send(status: str, payload: Json = None) -> List[bytes]:
            body = b"" if payload is None else json.dumps(payload).encode()
            return self.respond(start_response, status, body, "application/json")

        if route in FIXTURE_KINDS and method in ("POST", "GET", "DELETE"):
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            account: Optional[str] = None
            if "account" in query:
                account = query["account"][-1]
                if not ACCOUNT_RE.match(account):
                    return send("400 Bad Request", {"error": f"account must be 12 digits, got {account!r}"})
            if method == "GET":
                return send("200 OK", self.state.get_fixtures(route, account))
            if method == "DELETE":
                self.state.delete_fixtures(route, account)
                return send("204 No Content")
            try:
                items = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                return send("400 Bad Request", {"error": "expected a JSON array of objects"})
            self.state.set_fixtures(route, account, [_normalise(route, item) for item in items])
            return send("204 No Content")
        if route == "invocation_outcomes" and method in ("POST", "GET", "DELETE"):
            if method == "GET":
                with self.state.lock:
                    return send("200 OK", json.loads(json.dumps(self.state.invocation_outcomes)))
            if method == "DELETE":
                with self.state.lock:
                    self.state.invocation_outcomes = {}
                return send("204 No Content")
            try:
                table = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            if not isinstance(table, dict):
                return send("400 Bad Request", {"error": "expected a JSON object: instance id or \"*\" -> outcome"})
            for instance_id, outcome in table.items():
                problem = _check_outcome(outcome)
                if problem:
                    return send("400 Bad Request", {"error": f"{instance_id}: {problem}"})
            with self.state.lock:
                self.state.invocation_outcomes = table
            return send("204 No Content")
        if route == "invocations" and method == "POST":
            try:
                body = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            if not isinstance(body, dict) or not isinstance(body.get("CommandId"), str) \
                    or not isinstance(body.get("InstanceId"), str):
                return send("400 Bad Request", {"error": "expected an object with CommandId and InstanceId"})
            outcome = {k: v for k, v in body.items() if k not in ("CommandId", "InstanceId")}
            problem = _check_outcome(outcome)
            if problem:
                return send("400 Bad Request", {"error": problem})
            with self.state.lock:
                invocation = next((
                    i for commands in self.state.commands.values() for c in commands
                    if c["CommandId"] == body["CommandId"] for i in c["Invocations"]
                    if i["InstanceId"] == body["InstanceId"]
                ), None)
                if invocation is not None:
                    _apply_outcome(invocation, outcome, _now())
            if invocation is None:
                return send("404 Not Found", {"error": f"no invocation of command {body['CommandId']} "
                                                       f"on instance {body['InstanceId']}"})
            return send("204 No Content")
        if route == "commands" and method == "GET":
            now = _now()
            with self.state.lock:
                shown = {
                    account: [
                        dict(_command_item(c), Invocations=[
                            dict(_invocation_result(c, i, now), InstanceName=i["InstanceName"],
                                 RequestedDateTime=c["RequestedDateTime"], PendingPolls=i["PendingPolls"])
                            for i in c["Invocations"]
                        ])
                        for c in commands
                    ]
                    for account, commands in self.state.commands.items()
                }
                return send("200 OK", json.loads(json.dumps(shown)))
        if route == "commands" and method == "DELETE":
            with self.state.lock:
                self.state.commands = {}
            return send("204 No Content")
        if route == "automation_outcomes" and method == "POST":
            try:
                table = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            problem = _check_automation_outcomes(table)
            if problem:
                return send("400 Bad Request", {"error": problem})
            with self.state.lock:
                self.state.automation_outcomes = table
            return send("204 No Content")
        if route == "automation_outcomes" and method == "GET":
            with self.state.lock:
                return send("200 OK", json.loads(json.dumps(self.state.automation_outcomes)))
        if route == "automation_outcomes" and method == "DELETE":
            with self.state.lock:
                self.state.automation_outcomes = {}
            return send("204 No Content")
        if route == "automations" and method == "GET":
            now = _now()
            with self.state.lock:
                shown = {
                    account: [dict(_automation_item(a, now), Ticks=a["Ticks"]) for a in executions]
                    for account, executions in self.state.automations.items()
                }
                return send("200 OK", json.loads(json.dumps(shown)))
        if route == "automations" and method == "DELETE":
            with self.state.lock:
                self.state.automations = {}
            return send("204 No Content")
        if route == "sessions" and method == "GET":
            with self.state.lock:
                return send("200 OK", {
                    account: [_session_item(s) for s in sessions]
                    for account, sessions in self.state.sessions.items()
                })
        if route == "sessions" and method == "DELETE":
            with self.state.lock:
                self.state.sessions = {}
            return send("204 No Content")
        if route == "sessions/end" and method == "POST":
            try:
                body = json.loads(_read_body(environ) or b"null")
            except ValueError as err:
                return send("400 Bad Request", {"error": f"invalid JSON: {err}"})
            if not isinstance(body, dict) or not isinstance(body.get("SessionId"), str):
                return send("400 Bad Request", {"error": "expected an object with SessionId"})
            with self.state.lock:
                ended = next((s for sessions in self.state.sessions.values() for s in sessions
                              if s["SessionId"] == body["SessionId"] and s["Status"] != "Terminated"), None)
                if ended is not None:
                    ended["Status"] = "Terminated"
                    ended["EndDate"] = _now()
            if ended is None:
                return send("404 Not Found", {"error": f"no active session {body['SessionId']}"})
            return send("204 No Content")
        if route == "quicksight" and method == "GET":
            with self.state.lock:
                return send("200 OK", json.loads(json.dumps(self.state.quicksight)))
        if route == "calls" and method == "GET":
            return send("200 OK", self.state.snapshot_calls())
        if route == "calls" and method == "DELETE":
            self.state.reset_calls()
            return send("204 No Content")
        return send("404 Not Found", {"error": f"no control endpoint {method} {path}"})

    # ---- SSM ----------------------------------------------------------------
    def describe_instance_information(
        self, environ: Dict[str, Any], start_response: StartResponse
    ) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        self.state.record("DescribeInstanceInformation", params)

        instances = self.state.get_fixtures("instances", self.account(environ))
        shown = [{k: v for k, v in i.items() if k != "Tags"} for i in instances]
        return self.paginated(start_response, params, shown, "InstanceInformationList")

    def paginated(
        self,
        start_response: StartResponse,
        params: Dict[str, Json],
        items: List[Dict[str, Json]],
        list_key: str,
        default_size: int = DEFAULT_PAGE_SIZE,
    ) -> Any:
        """One page of ITEMS under LIST_KEY, by MaxResults and a NextToken holding the next index."""
        start = 0
        token = params.get("NextToken")
        if token not in (None, ""):
            if not (isinstance(token, str) and token.isdigit()) or int(token) > len(items):
                return self.json_error(
                    start_response, "400 Bad Request", "InvalidNextToken", "The specified token isn't valid."
                )
            start = int(token)
        max_results = params.get("MaxResults")
        page_size = default_size
        if max_results is not None:
            if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 1:
                return self.json_error(
                    start_response,
                    "400 Bad Request",
                    "ValidationException",
                    f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint",
                )
            page_size = max_results  # AWS's per-operation ranges are deliberately not enforced
        page = items[start:start + page_size]
        payload: Dict[str, Json] = {list_key: page}
        if start + page_size < len(items):
            payload["NextToken"] = str(start + page_size)
        return self.json_response(start_response, payload)

    def account(self, environ: Dict[str, Any]) -> str:
        """The account a request belongs to, by the access key id it is signed with."""
        access_key, _ = _credential_scope(environ)
        if not access_key:
            return FALLBACK_ACCOUNT
        known = self.state.account_of_key(access_key)
        if known is not None:
            return known
        try:
            from moto.iam.models import get_account_id_from

            return get_account_id_from(access_key)
        except Exception:  # pragma: no cover - best effort only
            return FALLBACK_ACCOUNT

    def describe_instance_patch_states(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        account = self.account(environ)
        self.state.record("DescribeInstancePatchStates", dict(params, Account=account))

        states = self.state.get_fixtures("patch_states", account)
        wanted = params.get("InstanceIds")
        if wanted is not None:
            if not isinstance(wanted, list):
                return self.json_error(
                    start_response, "400 Bad Request", "ValidationException",
                    "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint",
                )
            wanted_set = set(wanted)
            states = [s for s in states if s.get("InstanceId") in wanted_set]
        return self.paginated(start_response, params, states, "InstancePatchStates")

    def list_resource_compliance_summaries(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        account = self.account(environ)
        self.state.record("ListResourceComplianceSummaries", dict(params, Account=account))

        items = self.state.get_fixtures("compliance_summaries", account)
        filters = params.get("Filters") or []
        if not isinstance(filters, list):
            filters = []
        for flt in filters:
            if not isinstance(flt, dict):
                continue
            key, values, kind = flt.get("Key"), flt.get("Values") or [], flt.get("Type") or "EQUAL"
            if key not in COMPLIANCE_FILTER_KEYS or not isinstance(values, list):
                continue
            if kind == "EQUAL":
                items = [i for i in items if i.get(key) in values]
            elif kind == "NOT_EQUAL":
                items = [i for i in items if i.get(key) not in values]
        return self.paginated(start_response, params, items, "ResourceComplianceSummaryItems")

    def create_activation(self, environ: Dict[str, Any], start_response: StartResponse) -> Any:
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        self.state.record("CreateActivation", params)
        if not params.get("IamRole"):
            return self.json_error(
                start_response,
                "400 Bad Request",
                "ValidationException",
                "1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: "
                "Member must not be null",
            )
        return self.json_response(
            start_response,
            {
                "ActivationId": str(uuid.uuid4()),
                "ActivationCode": "".join(secrets.choice(ALNUM) for _ in range(20)),
            },
        )

    # ---- SSM Run Command --------------------------------------------------------
    def run_command(self, environ: Dict[str, Any], start_response: StartResponse, operation: str) -> Any:
        """SendCommand, GetCommandInvocation, ListCommandInvocations, ListCommands, CancelCommand."""
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        account = self.account(environ)
        access_key, _ = _credential_scope(environ)
        role_arn = self.state.role_of_key(access_key or "")
        recorded = dict(params, Account=account)
        if operation == "SendCommand":
            recorded["RoleArn"] = role_arn
        self.state.record(operation, recorded)

        if operation == "SendCommand":
            return self.send_command(environ, start_response, params, account, role_arn)
        command_id = params.get("CommandId")
        if command_id is not None and not isinstance(command_id, str):
            return self.validation_error(start_response, "commandId")
        if operation == "GetCommandInvocation":
            return self.get_command_invocation(start_response, params, account)
        if operation == "ListCommandInvocations":
            return self.list_command_invocations(start_response, params, account)
        if operation == "ListCommands":
            return self.list_commands(start_response, params, account)
        return self.cancel_command(start_response, params, account)

    def validation_error(self, start_response: StartResponse, member: str) -> List[bytes]:
        return self.json_error(
            start_response, "400 Bad Request", "ValidationException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint",
        )

    def find_command(self, account: str, command_id: Any) -> Optional[Dict[str, Any]]:
        """The account's command COMMAND_ID (call with the lock held)."""
        return next((c for c in self.state.commands.get(account, []) if c["CommandId"] == command_id), None)

    def selected_commands(self, account: str, command_id: Any) -> Optional[List[Dict[str, Any]]]:
        """The account's commands, or only COMMAND_ID when given; None if that one does not exist
        (call with the lock held)."""
        if not command_id:
            return self.state.commands.get(account, [])
        command = self.find_command(account, command_id)
        return None if command is None else [command]

    def send_command(
        self,
        environ: Dict[str, Any],
        start_response: StartResponse,
        params: Dict[str, Json],
        account: str,
        role_arn: Optional[str],
    ) -> Any:
        def invalid(code: str, message: str) -> List[bytes]:
            return self.json_error(start_response, "400 Bad Request", code, message)

        document = params.get("DocumentName")
        if role_arn and "NoRunCommand" in role_arn:
            name = document if isinstance(document, str) else ""
            owner = "" if name.startswith("AWS-") else account
            resource = name if name.startswith("arn:") else f"arn:aws:ssm:{self.region(environ)}:{owner}:document/{name}"
            return invalid(
                "AccessDeniedException",
                f"User: {role_arn} is not authorized to perform: ssm:SendCommand on resource: {resource} "
                "because no identity-based policy allows the ssm:SendCommand action",
            )
        if not isinstance(document, str) or not document:
            return invalid("ValidationException", "1 validation error detected: Value null at 'documentName' "
                                                  "failed to satisfy constraint: Member must not be null")
        instance_ids = params.get("InstanceIds") or []
        targets = params.get("Targets") or []
        if not isinstance(instance_ids, list) or not all(isinstance(i, str) and i for i in instance_ids):
            return self.validation_error(start_response, "instanceIds")
        if not isinstance(targets, list):
            return self.validation_error(start_response, "targets")
        if instance_ids and targets:
            return invalid("InvalidParameters", "InstanceIds and Targets can't both be specified.")
        if not instance_ids and not targets:
            return invalid("InvalidParameters", "Either InstanceIds or Targets must be specified.")
        if len(set(instance_ids)) != len(instance_ids):
            return invalid("DuplicateInstanceId", "Instance Id is duplicated in the request.")
        timeout = params.get("TimeoutSeconds", 3600)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not 30 <= timeout <= 2592000:
            return self.validation_error(start_response, "timeoutSeconds")

        fixtures = self.state.get_fixtures("instances", account)
        if instance_ids:
            resolved = list(instance_ids)
        else:
            resolved, problem = _resolve_targets(targets, fixtures)
            if problem:
                return invalid("InvalidParameters", problem)
        host_names = {f.get("InstanceId"): f.get("ComputerName") or "" for f in fixtures}

        now = _now()
        command: Dict[str, Any] = {
            "CommandId": str(uuid.uuid4()),
            "DocumentName": document,
            "DocumentVersion": params.get("DocumentVersion") or "$DEFAULT",
            "Comment": params.get("Comment") or "",
            "ExpiresAfter": now + timeout,
            "Parameters": params.get("Parameters") or {},
            "InstanceIds": instance_ids,
            "Targets": targets,
            "RequestedDateTime": now,
            "OutputS3Region": params.get("OutputS3Region") or "",
            "OutputS3BucketName": params.get("OutputS3BucketName") or "",
            "OutputS3KeyPrefix": params.get("OutputS3KeyPrefix") or "",
            "MaxConcurrency": params.get("MaxConcurrency") or "50",
            "MaxErrors": params.get("MaxErrors") or "0",
            "TargetCount": len(resolved),
            "ServiceRole": params.get("ServiceRoleArn") or "",
            "NotificationConfig": params.get("NotificationConfig")
            or {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
            "CloudWatchOutputConfig": params.get("CloudWatchOutputConfig")
            or {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
            "TimeoutSeconds": timeout,
        }
        if params.get("AlarmConfiguration"):
            command["AlarmConfiguration"] = params["AlarmConfiguration"]
        with self.state.lock:
            outcomes = self.state.invocation_outcomes
            command["Invocations"] = [
                _new_invocation(i, host_names.get(i, ""), outcomes.get(i, outcomes.get("*", {})), now)
                for i in resolved
            ]
            self.state.commands.setdefault(account, []).append(command)
            answer = json.loads(json.dumps(_command_item(command)))
        if resolved:  # as AWS: the command is only just queued
            answer.update(Status="Pending", StatusDetails="Pending", CompletedCount=0, ErrorCount=0,
                          DeliveryTimedOutCount=0)
        return self.json_response(start_response, {"Command": answer})

    def get_command_invocation(self, start_response: StartResponse, params: Dict[str, Json], account: str) -> Any:
        command_id, instance_id, plugin = params.get("CommandId"), params.get("InstanceId"), params.get("PluginName")
        if not command_id:
            return self.validation_error(start_response, "commandId")
        if not isinstance(instance_id, str) or not instance_id:
            return self.validation_error(start_response, "instanceId")
        now = _now()
        with self.state.lock:
            command = self.find_command(account, command_id)
            invocation = next((i for i in (command or {}).get("Invocations", []) if i["InstanceId"] == instance_id),
                              None)
            if command is None or invocation is None:
                return self.json_error(
                    start_response, "400 Bad Request", "InvocationDoesNotExist",
                    f"Command {command_id} has no invocation for instance {instance_id}.",
                )
            if plugin is not None and plugin != _plugin_name(command["DocumentName"]):
                return self.json_error(start_response, "400 Bad Request", "InvalidPluginName",
                                       f"The plugin name {plugin} is not valid.")
            answer = json.loads(json.dumps(_invocation_result(command, invocation, now)))
            if invocation["PendingPolls"] > 0:
                invocation["PendingPolls"] -= 1
                _settle(invocation, now)
        return self.json_response(start_response, answer)

    def list_command_invocations(self, start_response: StartResponse, params: Dict[str, Json], account: str) -> Any:
        command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
        details = params.get("Details") is True
        now = _now()
        with self.state.lock:
            commands = self.selected_commands(account, command_id)
            if commands is None:
                return self.json_error(start_response, "400 Bad Request", "InvalidCommandId",
                                       f"Command {command_id} does not exist.")
            items = json.loads(json.dumps([
                _invocation_item(c, i, details, now)
                for c in commands for i in c["Invocations"]
                if instance_id in (None, "") or i["InstanceId"] == instance_id
            ]))
        return self.paginated(start_response, params, items, "CommandInvocations", RUN_COMMAND_PAGE_SIZE)

    def list_commands(self, start_response: StartResponse, params: Dict[str, Json], account: str) -> Any:
        command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
        with self.state.lock:
            commands = self.selected_commands(account, command_id)
            if commands is None:
                return self.json_error(start_response, "400 Bad Request", "InvalidCommandId",
                                       f"Command {command_id} does not exist.")
            items = json.loads(json.dumps([
                _command_item(c) for c in commands
                if instance_id in (None, "") or any(i["InstanceId"] == instance_id for i in c["Invocations"])
            ]))
        return self.paginated(start_response, params, items, "Commands", RUN_COMMAND_PAGE_SIZE)

    def cancel_command(self, start_response: StartResponse, params: Dict[str, Json], account: str) -> Any:
        command_id, instance_ids = params.get("CommandId"), params.get("InstanceIds")
        if not command_id:
            return self.validation_error(start_response, "commandId")
        if instance_ids is not None and not (
            isinstance(instance_ids, list) and all(isinstance(i, str) for i in instance_ids)
        ):
            return self.validation_error(start_response, "instanceIds")
        now = _now()
        with self.state.lock:
            command = self.find_command(account, command_id)
            if command is None:
                return self.json_error(start_response, "400 Bad Request", "InvalidCommandId",
                                       f"Command {command_id} does not exist.")
            known = {i["InstanceId"] for i in command["Invocations"]}
            unknown = [i for i in instance_ids or [] if i not in known]
            if unknown:
                return self.json_error(start_response, "400 Bad Request", "InvalidInstanceId",
                                       f"Command {command_id} was not sent to {', '.join(unknown)}.")
            for invocation in command["Invocations"]:
                if instance_ids and invocation["InstanceId"] not in instance_ids:
                    continue
                if _reported(invocation)[0] not in TERMINAL_STATUSES:
                    _apply_outcome(invocation, {"Status": "Cancelled", "PendingPolls": 0}, now)
        return self.json_response(start_response, {})

    # ---- SSM Automation -----------------------------------------------------
    def automation(self, environ: Dict[str, Any], start_response: StartResponse, operation: str) -> Any:
        """StartAutomationExecution, GetAutomationExecution, DescribeAutomationStepExecutions,
        StopAutomationExecution, SendAutomationSignal."""
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        account = self.account(environ)
        access_key, _ = _credential_scope(environ)
        role_arn = self.state.role_of_key(access_key or "")
        recorded = dict(params, Account=account)
        if operation in ("StartAutomationExecution", "SendAutomationSignal"):
            recorded["RoleArn"] = role_arn
        self.state.record(operation, recorded)
        if operation == "StartAutomationExecution":
            return self.start_automation(environ, start_response, params, account, role_arn)

        execution_id = params.get("AutomationExecutionId")
        if not isinstance(execution_id, str) or not execution_id:
            return self.validation_error(start_response, "automationExecutionId")
        now = _now()
        with self.state.lock:
            automation = next(
                (a for a in self.state.automations.get(account, []) if a["AutomationExecutionId"] == execution_id),
                None,
            )
            if automation is None:
                return self.json_error(
                    start_response, "400 Bad Request", "AutomationExecutionNotFoundException",
                    f"Automation execution {execution_id} was not found.",
                )
            if operation == "GetAutomationExecution":
                if automation["Stopped"] is None and _automation_view(automation, now)[0] not in \
                        TERMINAL_STATUSES + ("Waiting",):
                    automation["Ticks"] += 1
                answer: Json = {"AutomationExecution": _automation_item(automation, now)}
            elif operation == "DescribeAutomationStepExecutions":
                steps = _automation_view(automation, now)[1]
                answer = None
            elif operation == "SendAutomationSignal":
                signal = params.get("SignalType")
                if signal not in ("Approve", "Reject"):
                    return self.validation_error(start_response, "signalType")
                status, shown = _automation_view(automation, now)
                waiting = shown[-1] if status == "Waiting" and shown else None
                if waiting is None or waiting["Action"] != "aws:approve" or automation["Stopped"] is not None:
                    return self.json_error(
                        start_response, "400 Bad Request", "InvalidAutomationSignalException",
                        "The signal is not valid for the current Automation execution.",
                    )
                step = automation["Steps"][len(shown) - 1]
                if signal == "Approve":
                    step["Status"] = "Success"
                else:
                    comment = " ".join((params.get("Payload") or {}).get("Comment") or [])
                    step["Status"] = "Failed"
                    step["FailureMessage"] = f"Step was rejected by {role_arn or 'the caller'}" + (
                        f": {comment}" if comment else "")
                answer = {}
            else:
                stop_type = params.get("Type") or "Cancel"
                if stop_type not in ("Cancel", "Complete"):
                    return self.validation_error(start_response, "type")
                status = _automation_view(automation, now)[0]
                if automation["Stopped"] is not None or status in TERMINAL_STATUSES:
                    return self.json_error(
                        start_response, "400 Bad Request", "InvalidAutomationStatusUpdateException",
                        f"Automation execution {execution_id} is {status} and cannot be stopped.",
                    )
                automation["Stopped"] = stop_type
                _automation_view(automation, now)
                answer = {}
            answer = json.loads(json.dumps(answer))
        if operation == "DescribeAutomationStepExecutions":
            return self.paginated(start_response, params, json.loads(json.dumps(steps)), "StepExecutions",
                                  RUN_COMMAND_PAGE_SIZE)
        return self.json_response(start_response, answer)

    def start_automation(
        self,
        environ: Dict[str, Any],
        start_response: StartResponse,
        params: Dict[str, Json],
        account: str,
        role_arn: Optional[str],
    ) -> Any:
        document = params.get("DocumentName")
        if role_arn and "NoAutomation" in role_arn:
            name = document if isinstance(document, str) else ""
            owner = "" if name.startswith("AWS-") else account
            return self.json_error(
                start_response, "400 Bad Request", "AccessDeniedException",
                f"User: {role_arn} is not authorized to perform: ssm:StartAutomationExecution on resource: "
                f"arn:aws:ssm:{self.region(environ)}:{owner}:automation-definition/{name}:$DEFAULT "
                "because no identity-based policy allows the ssm:StartAutomationExecution action",
            )
        if not isinstance(document, str) or not document:
            return self.json_error(start_response, "400 Bad Request", "ValidationException",
                                   "1 validation error detected: Value null at 'documentName' failed to "
                                   "satisfy constraint: Member must not be null")
        token = params.get("ClientToken")
        now = _now()
        with self.state.lock:
            executions = self.state.automations.setdefault(account, [])
            if token:
                earlier = next((a for a in executions if a["ClientToken"] == token), None)
                if earlier is not None:
                    return self.json_response(start_response,
                                              {"AutomationExecutionId": earlier["AutomationExecutionId"]})
            outcomes = self.state.automation_outcomes
            outcome = outcomes.get(document, outcomes.get("*"))
            steps = [dict(step) for step in (outcome or {}).get("Steps") or DEFAULT_AUTOMATION_STEPS.get(
                document, [{"Name": "run", "Action": "aws:executeScript"}])]
            for step in steps:
                step["StepExecutionId"] = str(uuid.uuid4())
            automation: Dict[str, Any] = {
                "AutomationExecutionId": str(uuid.uuid4()),
                "ClientToken": token or None,
                "DocumentName": document,
                "DocumentVersion": params.get("DocumentVersion") or "$DEFAULT",
                "ExecutionStartTime": now,
                "Parameters": params.get("Parameters") or {},
                "Mode": params.get("Mode") or "Auto",
                "ExecutedBy": role_arn or "",
                "Targets": params.get("Targets") or [],
                "TargetParameterName": params.get("TargetParameterName") or "",
                "MaxConcurrency": params.get("MaxConcurrency") or "",
                "MaxErrors": params.get("MaxErrors") or "",
                "Tags": params.get("Tags") or [],
                "Steps": steps,
                "PollsPerStep": (outcome or {}).get("PollsPerStep", 1),
                "FailureMessage": (outcome or {}).get("FailureMessage", ""),
                "Ticks": 0,
                "Stopped": None,
                "StepTimes": {},
                "EndTime": None,
            }
            executions.append(automation)
        return self.json_response(start_response, {"AutomationExecutionId": automation["AutomationExecutionId"]})

    # ---- SSM Session Manager ------------------------------------------------
    def session(self, environ: Dict[str, Any], start_response: StartResponse, operation: str) -> Any:
        """StartSession, TerminateSession, DescribeSessions."""
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "SerializationException", "invalid JSON body")
        account = self.account(environ)
        access_key, _ = _credential_scope(environ)
        role_arn = self.state.role_of_key(access_key or "")
        self.state.record(operation, dict(params, Account=account, RoleArn=role_arn))
        now = _now()
        if operation == "StartSession":
            target = params.get("Target")
            if role_arn and "NoSession" in role_arn:
                return self.json_error(
                    start_response, "400 Bad Request", "AccessDeniedException",
                    f"User: {role_arn} is not authorized to perform: ssm:StartSession on resource: "
                    f"arn:aws:ec2:{self.region(environ)}:{account}:instance/{target} "
                    "because no identity-based policy allows the ssm:StartSession action",
                )
            if not isinstance(target, str) or not target:
                return self.validation_error(start_response, "target")
            name = (role_arn or "user").rsplit("/", 1)[-1] or "user"
            session_id = f"{name}-{secrets.token_hex(9)[:17]}"
            with self.state.lock:
                self.state.sessions.setdefault(account, []).append({
                    "SessionId": session_id, "Target": target, "Status": "Connected",
                    "StartDate": now, "EndDate": None,
                    "DocumentName": params.get("DocumentName") or "",
                    "Owner": role_arn or "", "Reason": params.get("Reason") or "", "Details": "",
                })
            return self.json_response(start_response, {
                "SessionId": session_id,
                "TokenValue": secrets.token_urlsafe(48),
                "StreamUrl": f"wss://ssmmessages.{self.region(environ)}.amazonaws.com/v1/data-channel/"
                             f"{session_id}?role=publish_subscribe",
            })
        if operation == "TerminateSession":
            session_id = params.get("SessionId")
            if not isinstance(session_id, str) or not session_id:
                return self.validation_error(start_response, "sessionId")
            with self.state.lock:
                for session in self.state.sessions.get(account, []):
                    if session["SessionId"] == session_id and session["Status"] != "Terminated":
                        session["Status"] = "Terminated"
                        session["EndDate"] = now
            return self.json_response(start_response, {"SessionId": session_id})
        state = params.get("State")
        if state not in ("Active", "History"):
            return self.validation_error(start_response, "state")
        filters = params.get("Filters") or []
        for entry in filters:
            if not isinstance(entry, dict) or entry.get("key") not in SESSION_FILTER_KEYS \
                    and entry.get("Key") not in SESSION_FILTER_KEYS:
                return self.validation_error(start_response, "filters")
        with self.state.lock:
            shown = [
                _session_item(s) for s in reversed(self.state.sessions.get(account, []))
                if (s["Status"] != "Terminated") == (state == "Active")
                and all(str(s.get(f.get("key") or f.get("Key"))) == str(f.get("value") or f.get("Value"))
                        for f in filters)
            ]
        return self.paginated(start_response, params, shown, "Sessions", 20)

    # ---- QuickSight ---------------------------------------------------------
    def quicksight(self, environ: Dict[str, Any], start_response: StartResponse, match: "re.Match[str]") -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        account, kind = match.group("account"), match.group("kind")
        object_id, ingestion_id = match.group("id"), match.group("ingestion")
        operation = {
            ("data-sources", "POST", False, False): "CreateDataSource",
            ("data-sources", "PUT", True, False): "UpdateDataSource",
            ("data-sources", "GET", True, False): "DescribeDataSource",
            ("data-sets", "POST", False, False): "CreateDataSet",
            ("data-sets", "PUT", True, False): "UpdateDataSet",
            ("data-sets", "GET", True, False): "DescribeDataSet",
            ("data-sets", "PUT", True, True): "CreateIngestion",
            ("data-sets", "GET", True, True): "DescribeIngestion",
        }.get((kind, method, object_id is not None, ingestion_id is not None))
        if operation is None:
            return self.moto_app(environ, start_response)
        try:
            params = self.json_params(environ)
        except ValueError:
            return self.json_error(start_response, "400 Bad Request", "InvalidParameterValueException", "invalid JSON body")
        caller_account = self.account(environ)
        self.state.record(operation, dict(params, Account=account, Id=object_id, IngestionId=ingestion_id))

        access_key, _ = _credential_scope(environ)
        role_arn = self.state.role_of_key(access_key or "") or ""
        if account != caller_account or "NoQuickSight" in role_arn:
            who = role_arn or f"arn:aws:iam::{caller_account}:user/moto"
            return self.json_error(
                start_response, "403 Forbidden", "AccessDeniedException",
                f"User: {who} is not authorized to perform: quicksight:{operation} on account {account}",
            )

        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        region = self.region(environ)
        arn_base = f"arn:aws:quicksight:{region}:{account}"
        request_id = str(uuid.uuid4())

        def ok(status: str, payload: Dict[str, Json]) -> List[bytes]:
            payload = dict(payload, RequestId=request_id)
            return self.respond(
                start_response, status, json.dumps(payload).encode(), "application/json",
                [("x-amzn-RequestId", request_id)],
            )

        def error(status: str, code: str, message: str) -> List[bytes]:
            return self.json_error(start_response, status, code, message)

        with self.state.lock:
            objects = self.state.quicksight_account(account)
            if kind == "data-sources":
                sources = objects["DataSources"]
                if operation == "CreateDataSource":
                    source_id = params.get("DataSourceId")
                    if not source_id or not params.get("Name") or not params.get("Type"):
                        return error("400 Bad Request", "InvalidParameterValueException",
                                     "DataSourceId, Name and Type are required")
                    if source_id in sources:
                        return error("409 Conflict", "ResourceExistsException",
                                     f"DataSource {source_id} already exists")
                    sources[source_id] = {
                        "Arn": f"{arn_base}:datasource/{source_id}", "DataSourceId": source_id,
                        "Name": params["Name"], "Type": params["Type"],
                        "DataSourceParameters": params.get("DataSourceParameters"),
                        "Status": "CREATION_SUCCESSFUL", "CreatedTime": now, "LastUpdatedTime": now,
                    }
                    return ok("202 Accepted", {"Arn": sources[source_id]["Arn"], "DataSourceId": source_id,
                                               "CreationStatus": "CREATION_SUCCESSFUL"})
                source = sources.get(object_id or "")
                if source is None:
                    return error("404 Not Found", "ResourceNotFoundException", f"DataSource {object_id} not found")
                if operation == "UpdateDataSource":
                    if not params.get("Name"):
                        return error("400 Bad Request", "InvalidParameterValueException", "Name is required")
                    source.update(Name=params["Name"], LastUpdatedTime=now, Status="UPDATE_SUCCESSFUL",
                                  DataSourceParameters=params.get("DataSourceParameters",
                                                                  source["DataSourceParameters"]))
                    return ok("202 Accepted", {"Arn": source["Arn"], "DataSourceId": object_id,
                                               "UpdateStatus": "UPDATE_SUCCESSFUL"})
                return ok("200 OK", {"DataSource": source})

            data_sets = objects["DataSets"]
            if operation in ("CreateDataSet", "UpdateDataSet"):
                data_set_id = params.get("DataSetId") if operation == "CreateDataSet" else object_id
                if operation == "CreateDataSet" and data_set_id in data_sets:
                    return error("409 Conflict", "ResourceExistsException", f"DataSet {data_set_id} already exists")
                if operation == "UpdateDataSet" and data_set_id not in data_sets:
                    return error("404 Not Found", "ResourceNotFoundException", f"DataSet {data_set_id} not found")
                problem = self.check_data_set(params, objects["DataSources"])
                if problem:
                    return error("400 Bad Request", "InvalidParameterValueException", problem)
                previous = data_sets.get(data_set_id or "", {})
                data_sets[data_set_id] = {
                    "Arn": f"{arn_base}:dataset/{data_set_id}", "DataSetId": data_set_id,
                    "Name": params["Name"], "ImportMode": params["ImportMode"],
                    "PhysicalTableMap": params["PhysicalTableMap"],
                    "LogicalTableMap": params.get("LogicalTableMap"),
                    "CreatedTime": previous.get("CreatedTime", now), "LastUpdatedTime": now,
                }
                status = "201 Created" if operation == "CreateDataSet" else "200 OK"
                return ok(status, {"Arn": data_sets[data_set_id]["Arn"], "DataSetId": data_set_id})
            data_set = data_sets.get(object_id or "")
            if data_set is None:
                return error("404 Not Found", "ResourceNotFoundException", f"DataSet {object_id} not found")
            if operation == "DescribeDataSet":
                return ok("200 OK", {"DataSet": data_set})
            ingestions = objects["Ingestions"]
            known = [i for i in ingestions if i["DataSetId"] == object_id and i["IngestionId"] == ingestion_id]
            if operation == "CreateIngestion":
                if known:
                    return error("409 Conflict", "ResourceExistsException", f"Ingestion {ingestion_id} already exists")
                ingestion = {
                    "Arn": f"{data_set['Arn']}/ingestion/{ingestion_id}", "IngestionId": ingestion_id,
                    "DataSetId": object_id, "IngestionStatus": "COMPLETED", "CreatedTime": now,
                    "RequestSource": "MANUAL", "RequestType": params.get("IngestionType") or "FULL_REFRESH",
                }
                ingestions.append(ingestion)
                return ok("201 Created", {"Arn": ingestion["Arn"], "IngestionId": ingestion_id,
                                          "IngestionStatus": "INITIALIZED"})
            if not known:
                return error("404 Not Found", "ResourceNotFoundException", f"Ingestion {ingestion_id} not found")
            shown = {k: v for k, v in known[0].items() if k != "DataSetId"}
            return ok("200 OK", {"Ingestion": shown})

    @staticmethod
    def check_data_set(params: Dict[str, Json], sources: Dict[str, Dict[str, Json]]) -> Optional[str]:
        """What is wrong with a CreateDataSet/UpdateDataSet body, if anything."""
        if not params.get("Name") or params.get("ImportMode") not in ("SPICE", "DIRECT_QUERY"):
            return "Name and ImportMode (SPICE or DIRECT_QUERY) are required"
        tables = params.get("PhysicalTableMap")
        if not isinstance(tables, dict) or not tables:
            return "PhysicalTableMap is required"
        known_arns = {source["Arn"] for source in sources.values()}
        for table_id, table in tables.items():
            s3 = (table or {}).get("S3Source")
            if s3 is None:
                continue
            if s3.get("DataSourceArn") not in known_arns:
                return f"PhysicalTable {table_id}: data source {s3.get('DataSourceArn')} does not exist"
            settings = s3.get("UploadSettings") or {}
            columns = s3.get("InputColumns") or []
            if not columns:
                return f"PhysicalTable {table_id}: InputColumns is required"
            if settings.get("Format", "CSV") != "JSON" and any(c.get("Type") != "STRING" for c in columns):
                return f"PhysicalTable {table_id}: only STRING input columns are supported for files that aren't JSON"
        for table_id, table in (params.get("LogicalTableMap") or {}).items():
            source = (table or {}).get("Source") or {}
            if source.get("PhysicalTableId") and source["PhysicalTableId"] not in tables:
                return f"LogicalTable {table_id}: unknown PhysicalTableId {source['PhysicalTableId']}"
        return None

    @staticmethod
    def region(environ: Dict[str, Any]) -> str:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        match = re.search(r"Credential=[^/,\s]+/[^/]+/([^/]+)/", auth)
        return match.group(1) if match else "us-east-1"

    # ---- STS ----------------------------------------------------------------
    def assume_role(
        self, environ: Dict[str, Any], params: Dict[str, str]
    ) -> Optional[Tuple[str, bytes, str, List[Tuple[str, str]]]]:
        """Record the call; answer AccessDenied for a "Denied" role, else None (moto answers)."""
        duration: Json = params.get("DurationSeconds")
        if duration is not None:
            try:
                duration = int(duration)
            except ValueError:
                pass
        role_arn = params.get("RoleArn", "")
        self.state.record(
            "AssumeRole",
            {
                "RoleArn": params.get("RoleArn"),
                "RoleSessionName": params.get("RoleSessionName"),
                "ExternalId": params.get("ExternalId"),
                "DurationSeconds": duration,
            },
        )
        if "Denied" not in role_arn:
            return None

        caller_arn = self.caller_arn(environ)
        request_id = str(uuid.uuid4())
        message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
            "  <Error>\n"
            "    <Type>Sender</Type>\n"
            "    <Code>AccessDenied</Code>\n"
            f"    <Message>{xml_escape(message)}</Message>\n"
            "  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n"
            "</ErrorResponse>\n"
        ).encode()
        return ("403 Forbidden", body, "text/xml", [("x-amzn-RequestId", request_id)])

    def assume_role_via_moto(self, environ: Dict[str, Any], start_response: StartResponse, role_arn: str) -> Any:
        """Let moto answer AssumeRole; remember the AccessKeyId it hands out with the role's account."""
        captured: Dict[str, Any] = {}

        def capture(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"], captured["exc_info"] = status, headers, exc_info
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.moto_app(environ, capture)
        try:
            body = b"".join(captured.get("written", [])) + b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status = captured.get("status", "500 Internal Server Error")
        match = ROLE_ACCOUNT_RE.match(role_arn)
        key = re.search(rb"<AccessKeyId>\s*([^<\s]+)\s*</AccessKeyId>", body)
        if status.startswith("200") and match and key:
            self.state.remember_key(key.group(1).decode(), match.group(1))
            self.state.remember_role(key.group(1).decode(), role_arn)
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers, captured.get("exc_info"))
        return [body]

    @staticmethod
    def caller_arn(environ: Dict[str, Any]) -> str:
        """The caller's ARN as moto's GetCallerIdentity would report it."""
        access_key, _ = _credential_scope(environ)
        try:
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.sts.models import sts_backends

            backend = sts_backends[DEFAULT_ACCOUNT_ID]["aws"]
            _, arn, _ = backend.get_caller_identity(access_key or "", "us-east-1")
            return arn
        except Exception:  # pragma: no cover - best effort only
            return "arn:aws:iam::123456789012:user/moto"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=5000, help="port to bind; 0 picks a free one")
    args = parser.parse_args(argv)

    state = State()
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = AwMoto(moto_app, state)
    server = make_server(args.host, args.port, app, threaded=True)
    host, port = server.server_address[:2]
    # moto sends some requests to itself through MOTO_PORT
    os.environ.setdefault("MOTO_PORT", str(port))

    def stop(signum: int, frame: Any) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print(f"aw_moto ready on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
