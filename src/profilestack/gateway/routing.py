"""Find the (service, operation, protocol) of a request using nothing but the botocore models.

Signals, most specific first: the smithy-rpc-v2-cbor path, ``X-Amz-Target``, the
SigV4 credential scope's service name, the query protocol's ``Action``/``Version``
fields, and finally the REST path templates (``requestUri``) of every REST service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from botocore.model import OperationModel, ServiceModel

from profilestack.gateway.catalog import (
    SERVICES,
    SERVICES_BY_NAME,
    ServiceSpec,
    other_service_protocol,
    service_model,
)
from profilestack.gateway.codecs.query import form_params
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import HttpRequest
from profilestack.gateway.sigv4 import credential_scope_service

QUERY, JSON, REST_JSON, CBOR = "query", "json", "rest-json", "smithy-rpc-v2-cbor"

_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)\Z")


@dataclass(frozen=True, slots=True)
class Route:
    spec: ServiceSpec
    model: ServiceModel
    operation: OperationModel
    protocol: str
    labels: dict[str, str] = field(default_factory=dict)


class RoutingError(AwsError):
    """No operation matched; ``protocol``/``spec`` say how to phrase the answer, when known."""

    def __init__(self, code: str, message: str, status: int, protocol: str, spec: ServiceSpec | None) -> None:
        super().__init__(code, message, status)
        self.protocol = protocol
        self.spec = spec


class UriTemplate:
    """One operation's ``requestUri``, compiled to a regex over the raw (still-encoded) path."""

    def __init__(self, operation: OperationModel) -> None:
        self.operation = operation
        uri = operation.http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        self.required_query = {part.split("=", 1)[0]: part.partition("=")[2] for part in query.split("&") if part}
        pattern = ["^"]
        self.label_names: dict[str, str] = {}
        literal_chars = 0
        greedy = False
        for index, piece in enumerate(re.split(r"(\{[^}]+\})", path)):
            if piece.startswith("{"):
                name = piece[1:-1]
                group = f"g{index}"
                if name.endswith("+"):
                    name, greedy = name[:-1], True
                    pattern.append(f"(?P<{group}>.+)")
                else:
                    pattern.append(f"(?P<{group}>[^/]+)")
                self.label_names[group] = name
            else:
                literal_chars += len(piece)
                pattern.append(re.escape(piece))
        pattern.append("$" if path.endswith("/") else "/?$")
        self.regex = re.compile("".join(pattern))
        self.specificity = (len(self.required_query), literal_chars, not greedy)

    def match(self, raw_path: str, query: dict[str, str]) -> dict[str, str] | None:
        for key, value in self.required_query.items():
            if key not in query or (value and query[key] != value):
                return None
        found = self.regex.match(raw_path)
        if found is None:
            return None
        return {self.label_names[group]: text for group, text in found.groupdict().items()}


class RestMatcher:
    """A service's templates for one HTTP method, most specific first, matched as one alternation.

    Each template's regex becomes one alternative wrapped in its own group; that outer group closes
    last, so ``lastindex`` names the template: one C-level match instead of a Python loop over every
    template. Templates that also require query parameters are tried one by one first, as their
    specificity orders them.
    """

    def __init__(self, templates: list[UriTemplate]) -> None:
        self.with_query = [template for template in templates if template.required_query]
        plain = [template for template in templates if not template.required_query]
        alternatives = []
        for position, template in enumerate(plain):
            body = template.regex.pattern.removeprefix("^").removesuffix("$")
            alternatives.append(f"({body.replace('(?P<g', f'(?P<t{position}_g')}$)")
        self.combined = re.compile("^(?:" + "|".join(alternatives) + ")") if alternatives else None
        # outer group number → (template, {group number: label name})
        self.alternatives: dict[int, tuple[UriTemplate, dict[int, str]]] = {}
        group = 1
        for position, template in enumerate(plain):
            labels = {self.combined.groupindex[f"t{position}_{name}"]: label
                      for name, label in template.label_names.items()}
            self.alternatives[group] = (template, labels)
            group += 1 + template.regex.groups

    def match(self, raw_path: str, query: dict[str, str]) -> tuple[OperationModel, dict[str, str]] | None:
        for template in self.with_query:
            labels = template.match(raw_path, query)
            if labels is not None:
                return template.operation, labels
        found = self.combined.match(raw_path) if self.combined is not None else None
        if found is None:
            return None
        template, labels = self.alternatives[found.lastindex]
        return template.operation, {name: found.group(group) for group, name in labels.items()}


@cache
def _rest_table(service_name: str) -> dict[str, RestMatcher]:
    model = service_model(service_name)
    by_method: dict[str, list[UriTemplate]] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        by_method.setdefault(operation.http.get("method", "POST"), []).append(UriTemplate(operation))
    table = {}
    for method, templates in by_method.items():
        templates.sort(key=lambda template: template.specificity, reverse=True)
        table[method] = RestMatcher(templates)
    return table


def match_rest(
    service_name: str, method: str, raw_path: str, query: dict[str, str]
) -> tuple[OperationModel, dict[str, str]] | None:
    matcher = _rest_table(service_name).get(method)
    return matcher.match(raw_path, query) if matcher is not None else None


@cache
def _by_target_prefix() -> dict[str, ServiceSpec]:
    table = {}
    for spec in SERVICES:
        prefix = service_model(spec.name).metadata.get("targetPrefix")
        if prefix:
            table[prefix] = spec
            # SDKs built from Smithy models (JavaScript v3) name the service by its shape name alone:
            # "CloudTrail_20131101.LookupEvents" for "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101".
            table.setdefault(prefix.rpartition(".")[2], spec)
    return table


@cache
def _query_services_by_version() -> dict[str, ServiceSpec]:
    return {
        service_model(spec.name).api_version: spec
        for spec in SERVICES
        if QUERY in _protocols(spec.name)
    }


Candidates = tuple[tuple[ServiceSpec, ...], tuple[ServiceSpec, ...], tuple[ServiceSpec, ...]]
_SIGNED_FOR_NOTHING: Candidates = ((), (), ())


@cache
def _by_signing_name() -> dict[str, Candidates]:
    """For each signing name, the services signing as it: all of them, those speaking query, those speaking
    REST-JSON."""
    table: dict[str, Candidates] = {}
    for signing_name in {spec.signing_name for spec in SERVICES}:
        candidates = tuple(spec for spec in SERVICES if spec.signing_name == signing_name)
        table[signing_name] = (candidates, tuple(spec for spec in candidates if QUERY in _protocols(spec.name)),
                               tuple(spec for spec in candidates if REST_JSON in _protocols(spec.name)))
    return table


def _signed_for(signing_name: str | None) -> Candidates:
    # a table of the known names, not a cache of the asked ones: the name comes from requests not yet authenticated
    return _by_signing_name().get(signing_name, _SIGNED_FOR_NOTHING) if signing_name else _SIGNED_FOR_NOTHING


@cache
def _protocols(service_name: str) -> tuple[str, ...]:
    metadata = service_model(service_name).metadata
    return tuple(metadata.get("protocols") or [metadata["protocol"]])


@cache
def _operation_lookup(service_name: str) -> dict[str, str]:
    return {name: name for name in service_model(service_name).operation_names}


def _operation(spec: ServiceSpec, name: str, protocol: str) -> Route:
    """The route to a named operation (RPC protocols: no labels), or the protocol's unknown-operation error."""
    if name not in _operation_lookup(spec.name):
        raise unknown_operation(spec, protocol, name)
    return _named_route(spec.name, name, protocol)


@cache
def _named_route(service_name: str, name: str, protocol: str) -> Route:
    return _make(SERVICES_BY_NAME[service_name], service_model(service_name).operation_model(name), protocol)


# How a service's own protocol is answered here: the XML of the query protocol is what botocore reads from
# rest-xml (S3) and EC2 services too.
_ANSWERED_AS = {"query": QUERY, "rest-xml": QUERY, "ec2": QUERY, "json": JSON, "rest-json": REST_JSON,
                "smithy-rpc-v2-cbor": CBOR}


def _not_served(request: HttpRequest) -> RoutingError | None:
    """For a request signed for a service this server does not hold (S3, DynamoDB, Amazon Connect itself: a
    client whose AWS_ENDPOINT_URL sends every service here), an error saying so, in that service's protocol where
    botocore knows it. AWS never meets such a request at another service's endpoint, and a bare "Unknown
    operation" would leave the caller guessing. None for a request signed for one of ours, or for nothing."""
    signing_name = credential_scope_service(request)
    if not signing_name or signing_name in _by_signing_name():
        return None
    foreign = other_service_protocol(signing_name) or ("json" if request.header("x-amz-target") else "rest-json")
    protocol = _ANSWERED_AS.get(foreign, REST_JSON)
    message = (f"This server does not serve {signing_name}, the service the request is signed for; it serves "
               f"{', '.join(sorted(_by_signing_name()))}.")
    return RoutingError("InvalidAction" if protocol == QUERY else "UnknownOperationException", message,
                        404 if foreign.startswith("rest") else 400, protocol, None)


def unknown_operation(spec: ServiceSpec | None, protocol: str, name: str | None) -> RoutingError:
    if protocol == QUERY:
        version = service_model(spec.name).api_version if spec else "unknown"
        return RoutingError("InvalidAction", f"Could not find operation {name} for version {version}", 400, QUERY, spec)
    if protocol == REST_JSON:
        return RoutingError("UnknownOperationException", "Unknown operation", 404, protocol, spec)
    return RoutingError("UnknownOperationException", f"Unknown operation {name}", 400, protocol, spec)


def route(request: HttpRequest) -> Route:
    cbor = _CBOR_PATH.match(request.raw_path)
    if cbor and request.header("smithy-protocol") == "rpc-v2-cbor":
        spec = _by_target_prefix().get(cbor.group(1))
        if spec is None or CBOR not in _protocols(spec.name):
            raise unknown_operation(None, CBOR, cbor.group(2))
        return _operation(spec, cbor.group(2), CBOR)

    target = request.header("x-amz-target")
    if target:
        prefix, _, name = target.rpartition(".")
        spec = _by_target_prefix().get(prefix)
        if spec is None:
            raise _not_served(request) or unknown_operation(None, JSON, target)
        return _operation(spec, name, JSON)

    signing_name = credential_scope_service(request)
    candidates, query_candidates, rest_candidates = _signed_for(signing_name)
    if query_candidates or not candidates:
        found = _route_query(request, query_candidates)
        if found is not None:
            return found
    if not candidates:
        rest_candidates = tuple(spec for spec in SERVICES if REST_JSON in _protocols(spec.name))
    return _route_rest(request, rest_candidates)


def _route_query(request: HttpRequest, candidates: Sequence[ServiceSpec]) -> Route | None:
    if request.method not in ("POST", "GET"):
        return None
    params = form_params(request)
    action = params.get("Action")
    if action is None:
        if candidates:
            raise RoutingError("MissingAction", "Missing Action", 400, QUERY, candidates[0])
        return None
    spec = candidates[0] if len(candidates) == 1 else _query_services_by_version().get(params.get("Version", ""))
    if spec is None:
        if not candidates:
            return None
        spec = candidates[0]
    return _operation(spec, action, QUERY)


def _route_rest(request: HttpRequest, candidates: Sequence[ServiceSpec]) -> Route:
    query = dict(request.query)
    ordered = sorted(candidates, key=lambda spec: spec.path_prefix is None)
    for spec in ordered:
        if spec.path_prefix and not request.raw_path.startswith(spec.path_prefix):
            continue
        found = match_rest(spec.name, request.method, request.raw_path, query)
        if found is not None:
            operation, labels = found
            return _make(spec, operation, REST_JSON, labels)
    raise _not_served(request) or unknown_operation(ordered[0] if ordered else None, REST_JSON, None)


def _make(spec: ServiceSpec, operation: OperationModel, protocol: str, labels: dict[str, str] | None = None) -> Route:
    return Route(spec, service_model(spec.name), operation, protocol, labels or {})


def warm_up() -> None:
    """Load every service model and build every lookup table routing uses."""
    _by_target_prefix()
    _query_services_by_version()
    _by_signing_name()
    for spec in SERVICES:
        _operation_lookup(spec.name)
        if REST_JSON in _protocols(spec.name):
            _rest_table(spec.name)
