"""One path for every call: route → authenticate → decode → authorize → handle → encode, recorded.

``handle_http`` serves wire requests; ``invoke`` is the same pipeline for calls the
services make themselves (as a service-linked role), minus the wire.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

from botocore.model import OperationModel, ServiceModel

from profilestack.audit.record import AuditEvent, scrub
from profilestack.gateway import content_coding, routing, sigv4
from profilestack.gateway.answer_checks import answer_problems
from profilestack.gateway.authn import AuthenticationFailed
from profilestack.gateway.authz import AccessDenied, AuthorizationRequest
from profilestack.gateway.catalog import SERVICES_BY_NAME, ServiceSpec, service_model
from profilestack.gateway.codecs.base import Codec, resolve_error
from profilestack.gateway.codecs.json_rpc import JsonRpcCodec
from profilestack.gateway.codecs.query import QueryCodec
from profilestack.gateway.codecs.rest_json import RestJsonCodec
from profilestack.gateway.codecs.rpcv2_cbor import RpcV2CborCodec
from profilestack.gateway.codecs.values import MalformedInput
from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError, InternalFailure, ServiceUnavailable
from profilestack.gateway.http import HttpRequest, HttpResponse, RawBody
from profilestack.gateway.validation import validate, validation_message
from profilestack.iam_policy.actions import action_info, resources_for
from profilestack.iam_policy.engine import owning_account
from profilestack.identity.principal import ANONYMOUS, Principal, anonymous_principal
from profilestack.logs import Recurring
from profilestack.services.registry import (
    all_condition_values,
    all_fresh_readers,
    all_handlers,
    all_vouchers,
    all_writers,
)
from profilestack.store.database import why

if TYPE_CHECKING:
    from profilestack.app import App

log = logging.getLogger(__name__)

CODECS: dict[str, Codec] = {
    routing.QUERY: QueryCodec(),
    routing.JSON: JsonRpcCodec(),
    routing.REST_JSON: RestJsonCodec(),
    routing.CBOR: RpcV2CborCodec(),
}

_ACCESS_DENIED = {"query": "AccessDenied", "json": "AccessDeniedException"}
_UNSIGNED_REGION = "us-east-1"  # an unsigned call names no region: STS's global endpoint's


def in_json_spelling(err: AwsError) -> AwsError:
    """The error as JSON services name it (``AccessDeniedException``, not the query protocol's ``AccessDenied``)."""
    if err.code == "AccessDenied":
        return AwsError(_ACCESS_DENIED["json"], err.message, err.status)
    return err


def speaks_query(model: ServiceModel) -> bool:
    """Query services, and JSON services that stay compatible with their query past, use query error codes."""
    return model.protocol == "query" or "awsQueryCompatible" in model.metadata


def _raise_if_unavailable(spec: ServiceSpec, region: str) -> None:
    if spec.regions is not None and region not in spec.regions:
        raise AwsError(spec.validation_error, f"{spec.title} is not available in region {region}. Supported "
                                              f"regions: {', '.join(spec.regions)}.", spec.validation_status)


@dataclass(slots=True)
class Call:
    spec: ServiceSpec
    model: ServiceModel
    operation: OperationModel
    params: dict[str, Any]
    principal: Principal
    region: str
    request_id: str
    source_ip: str | None
    user_agent: str | None
    secure: bool | None = None
    parent: CallContext | None = None
    started: float = 0.0  # perf_counter() when it arrived (0: not timed)
    tls_details: dict[str, str] | None = None  # how it came over TLS, for the audit trail
    size: int = 0  # the request body's length: about what its audit event holds in memory until stored


class Gateway:
    def __init__(self, app: App) -> None:
        self.app = app
        self.handlers = all_handlers()
        self.vouchers = all_vouchers()
        self.condition_values = all_condition_values()
        self.writers = all_writers()
        self.fresh_readers = all_fresh_readers()
        self.answer_checks = app.settings.test_answer_checks
        self._outages = Recurring(log)  # calls failed by the database
        self._refusals = Recurring(log)  # calls refused for the audit trail

    def handle_http(self, request: HttpRequest) -> HttpResponse:
        started = perf_counter()
        try:
            content_coding.inflate(request, self.app.settings.max_request_bytes)
        except (AwsError, content_coding.BodyUnreadable) as err:
            request.body = request.sent_body = b""
            return self.refuse(request, err)
        if self.app.audit.overflowing():  # no call is served that the audit trail could not record
            return self._unrecorded(request)
        request_id = self.app.ids.request_id()
        try:
            found = request.route or routing.route(request)
        except routing.RoutingError as err:
            return self._unrouted(err, request_id)
        except AwsError as err:
            return self._unrouted(routing.RoutingError(err.code, err.message, err.status, routing.QUERY, None),
                                  request_id)
        codec = CODECS[found.protocol]
        try:
            principal, signed_region = self._caller(request, found)
            try:
                params = codec.decode(found.operation, request, found.labels)
            except MalformedInput as err:
                raise AwsError(found.spec.validation_error, err.message, found.spec.validation_status) from err
            call = Call(found.spec, found.model, found.operation, params, principal,
                        found.spec.global_region or signed_region or _UNSIGNED_REGION, request_id, request.source_ip,
                        request.header("user-agent"), request.secure, started=started,
                        tls_details=request.tls_details(), size=len(request.body))
            result = self.execute(call)
            if isinstance(result, RawBody):
                return HttpResponse(200, [("content-type", result.content_type), ("x-amzn-requestid", request_id)],
                                    result.body)
            return codec.encode(found.operation, result, request_id)
        except AuthenticationFailed as err:
            if err.principal is not None:
                event = self._event(found.spec, found.operation, {}, err.principal,
                                    found.spec.global_region or err.region or "us-east-1", request_id,
                                    request.source_ip, request.header("user-agent"))
                event.error_code, event.error_message = err.code, err.message
                event.tls_details = request.tls_details()
                self.app.audit.record(event)
            else:
                self.app.metrics.refused(err.code)
            return codec.encode_error(found.model, err, request_id)
        except AwsError as err:
            return codec.encode_error(found.model, self._localize(found.model, err), request_id)
        except Exception as error:
            outage = self.app.database.outage(error)
            if outage:  # not a fault of the code: a line now and then, not a trace per call
                self._outages.warning("%s:%s failed: the database is %s (%s)", found.spec.name, found.operation.name,
                                      outage, why(error))
            else:
                log.exception("unexpected failure in %s:%s", found.spec.name, found.operation.name)
            return codec.encode_error(found.model, InternalFailure(), request_id)

    def answers_at_once(self, request: HttpRequest) -> bool:
        """Whether the request asks for a read registered ``snapshot=False``: a round trip or two to PostgreSQL,
        best served on the event loop. Handing it to a request thread and back cost the process more CPU than
        the wait it overlaps (docs/decisions.md). The route found is kept for handle_http."""
        if request.header("content-encoding"):  # routed once inflated, by handle_http
            return False
        try:
            request.route = routing.route(request)
        except AwsError:  # answered by handle_http
            return False
        return (request.route.spec.name, request.route.operation.name) in self.fresh_readers

    def _caller(self, request: HttpRequest, found: routing.Route) -> tuple[Principal, str | None]:
        """Who signed the request, and for which region. An unsigned request to an operation that takes no signature
        and whose parameters vouch for its caller (AssumeRoleWithWebIdentity's token) is anonymous until then."""
        if (found.operation.auth_type == "none" and (found.spec.name, found.operation.name) in self.vouchers
                and not sigv4.has_auth(request)):
            return anonymous_principal(), None
        return self.app.authenticator.authenticate(request, speaks_query(found.model), found.spec.signing_name)

    def invoke(
        self, principal: Principal, service: str, operation: str, params: dict[str, Any], region: str,
        parent: CallContext | None = None, source_ip: str | None = None, user_agent: str | None = None,
        secure: bool | None = None,
    ) -> dict[str, Any]:
        """A call made in process — by a service, or by the console for its signed-in user: same validation,
        authorization, handling and audit. A service's call comes from the service itself (``invoked_by``).

        With ``parent`` (the call being served) it joins that call's transaction: both commit or neither does.
        """
        spec = SERVICES_BY_NAME[service]
        model = service_model(service)
        call = Call(spec, model, model.operation_model(operation), params, principal,
                    spec.global_region or region, self.app.ids.request_id(), source_ip or principal.invoked_by,
                    user_agent or principal.invoked_by, secure, parent, perf_counter())
        try:
            answer = self.execute(call)
        except AwsError as err:
            raise self._localize(model, err) from err
        if isinstance(answer, RawBody):  # what only a hand-made HTTP request asks for (GetMetricWidgetImage's)
            raise AwsError("InvalidParameterInput", f"{operation} cannot answer an in-process call this way.", 400)
        return answer

    def _event(self, spec: ServiceSpec, operation: OperationModel, params: dict[str, Any], principal: Principal,
               region: str, request_id: str, source_ip: str | None, user_agent: str | None,
               look_up: bool = True) -> AuditEvent:
        """``look_up=False``: resources named from the parameters alone, without reading stored state (for
        parameters that failed validation, which the database may not even be able to take)."""
        info = action_info(spec.iam_prefix, operation.name)
        names = self.app.arn_names(spec.iam_prefix, params, principal) if look_up else None
        owner = params.get(spec.owner_parameter) if spec.owner_parameter else None
        resources = resources_for(info, params, region, owner if isinstance(owner, str) else principal.account, names)
        return AuditEvent(
            event_id=self.app.ids.call_id(), event_time=self.app.clock.now(), account_id=principal.account,
            region=region, event_source=spec.event_source, event_name=operation.name,
            read_only=info.read_only, principal=principal, source_ip=source_ip, user_agent=user_agent,
            request_id=request_id, request_parameters=scrub(operation.input_shape, params),
            resources=[{"ResourceType": kind, "ResourceName": arn} for kind, arn in resources],
        )

    def execute(self, call: Call) -> dict[str, Any] | RawBody:
        info = action_info(call.spec.iam_prefix, call.operation.name)
        problems = validate(call.operation.input_shape, call.params)
        event = self._event(call.spec, call.operation, call.params, call.principal, call.region,
                            call.request_id, call.source_ip, call.user_agent, look_up=not problems)
        event.tls_details, event.size = call.tls_details, call.size
        resources = [item["ResourceName"] for item in event.resources]
        if call.principal.kind == ANONYMOUS and resources:  # recorded in the account of what it asks for
            event.account_id = owning_account(resources[0]) or event.account_id
        owners_see_it = True  # unless the caller's own side refused it: then it never reached their resources
        try:
            _raise_if_unavailable(call.spec, call.region)
            if problems:
                raise AwsError(call.spec.validation_error, validation_message(problems), call.spec.validation_status)
            key = (call.spec.name, call.operation.name)
            voucher = self.vouchers.get(key)
            principal = call.principal if voucher is None else voucher(self.app, call.principal, call.params)
            event.principal = principal
            derive = self.condition_values.get(key)
            # the parameter provider reads service condition keys by name: derived ones join the parameters here
            conditioned = call.params if derive is None else {**call.params, **derive(call.params)}
            self.app.authorizer.authorize(AuthorizationRequest(principal, info.action, resources, call.region,
                                                               conditioned, call.source_ip, call.secure))
            handler = self.handlers.get(key)
            if handler is None:
                raise AwsError("NotImplemented", f"profilestack does not implement {info.action} yet.", 501,
                               sender_fault=False)
            write = not info.read_only or key in self.writers
            snapshot = write or key not in self.fresh_readers

            def handle() -> dict[str, Any] | RawBody:
                with self.unit_of_work(principal, call.region, call.request_id, call.operation.name,
                                       write=write, parent=call.parent, source_ip=call.source_ip,
                                       secure=call.secure, snapshot=snapshot) as context:
                    return handler(context, call.params) or {}

            # Inside another call's transaction that call decides. Otherwise, when another call inserted the same
            # key between this one's look and its insert (or won a deadlock), this one rolled back whole and runs
            # again, answering as the call that came second.
            result = handle() if call.parent is not None else self.app.database.again_if_lost_race(handle)
            if self.answer_checks:
                _check_answer(call, result)
            if not info.read_only:
                event.response, event.response_shape = result, call.operation.output_shape
            return result
        except AwsError as err:
            localized = self._localize(call.model, err)
            event.error_code = resolve_error(call.model, localized).code
            event.error_message = localized.message
            owners_see_it = not isinstance(err, AccessDenied) or err.by_resource_policy
            raise
        except Exception:
            event.error_code = "InternalFailure"
            event.error_message = "An internal error occurred."
            raise
        finally:
            if call.started:
                event.seconds = perf_counter() - call.started
            self.app.audit.record(event)
            if owners_see_it and event.resources:
                for copy in event.owners_copies(self.app.ids.call_id):
                    self.app.audit.record(copy)

    def unit_of_work(self, principal: Principal, region: str, request_id: str, operation: str, write: bool = True,
                     parent: CallContext | None = None, source_ip: str | None = None,
                     secure: bool | None = None, snapshot: bool = True) -> CallContext:
        """A call's context, to use in a ``with`` block: its transaction commits when the block ends (unless it
        joined ``parent``'s), then its commit hooks run and the outbox wakes for what it enqueued. Calls made
        with ``parent=`` the context share its transaction, as the trigger runtime's calls as a service-linked
        role do. ``snapshot=False``: a read whose statements need not see one snapshot (Database.transaction)."""
        return CallContext(self.app, principal, region, request_id, operation, write=write, parent=parent,
                           source_ip=source_ip, secure=secure, snapshot=snapshot)

    def _localize(self, model: ServiceModel, err: AwsError) -> AwsError:
        """Generic errors take the service's own spelling (e.g. access denied)."""
        return err if speaks_query(model) else in_json_spelling(err)

    def refuse(self, request: HttpRequest, error: AwsError | content_coding.BodyUnreadable) -> HttpResponse:
        """The answer to a request refused before it is authenticated: a body that could not be used (``request``
        carries none then: over the size limit, or not inflating) or a web page's origin that may not call. It is
        phrased in the protocol its headers and path show (a query request whose body is gone gets its signing
        service's); a body that does not inflate is the service's validation error."""
        spec: ServiceSpec | None
        try:
            found = routing.route(request)
            codec, model, spec = CODECS[found.protocol], found.model, found.spec
        except routing.RoutingError as err:
            (codec, model), spec = _phrasing(err.protocol, err.spec), err.spec
        except AwsError:
            (codec, model), spec = _phrasing(routing.QUERY, None), None
        if isinstance(error, content_coding.BodyUnreadable):
            spec = spec or SERVICES_BY_NAME["sts"]
            error = AwsError(spec.validation_error, error.message, spec.validation_status)
        return codec.encode_error(model, self._localize(model, error), self.app.ids.request_id())

    def _unrecorded(self, request: HttpRequest) -> HttpResponse:
        self._refusals.warning("refusing calls: %d audit events wait for the database to store them",
                               self.app.audit.waiting())
        return self.refuse(request, ServiceUnavailable())

    def _unrouted(self, err: routing.RoutingError, request_id: str) -> HttpResponse:
        codec, model = _phrasing(err.protocol, err.spec)
        return codec.encode_error(model, err, request_id)


def _check_answer(call: Call, result: dict[str, Any] | RawBody) -> None:
    problems = [] if isinstance(result, RawBody) else answer_problems(call.spec.name, call.operation, result)
    if problems:
        raise AwsError("InternalFailure", f"The answer to {call.operation.name} breaks its model: "
                                          f"{'; '.join(problems)}.", 500, sender_fault=False)


def _phrasing(protocol: str, spec: ServiceSpec | None) -> tuple[Codec, ServiceModel]:
    """How to answer a request that reached no operation: in its protocol, with its service's model when known
    (STS's otherwise)."""
    return CODECS[protocol], service_model(spec.name) if spec else service_model("sts")
