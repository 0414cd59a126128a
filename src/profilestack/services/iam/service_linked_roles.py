"""Service-linked roles: created for a linked service, protected, deleted by an asynchronous task.

The deletion task asks the linked service whether the role is still in use (its usage
report, across every region) and either deletes the role or fails naming the resources.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, insert, select, update

from profilestack.gateway.context import CallContext
from profilestack.services.iam import entities
from profilestack.services.iam.attachments import attach
from profilestack.services.iam.entities import ROLE
from profilestack.services.iam.errors import invalid_input, no_such_entity
from profilestack.services.iam.linked_services import linked_service
from profilestack.services.iam.roles import role_shape
from profilestack.services.iam.service import iam
from profilestack.services.iam.tables import iam_slr_deletion_tasks

if TYPE_CHECKING:
    from profilestack.app import App

DELETION_TASK = "iam.service_linked_role_deletion"
_TASK_ID = re.compile(r"^task/aws-service-role/[^/]+/[^/]+/[0-9a-f-]{36}\Z")


def trust_policy(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]})


def create_linked_role(ctx: CallContext, principal: str, suffix: str | None, description: str | None) -> Row[Any]:
    service = linked_service(principal)
    if service is None:
        raise invalid_input(f"Unrecognized or unsupported AWSServiceName: {principal}. It does not support "
                            "service-linked roles.")
    if suffix and not service.suffix_allowed:
        raise invalid_input(f"Custom suffix is not allowed for {principal}")
    name = service.role_name(suffix)
    if entities.find(ctx.db, ROLE, ctx.account, name) is not None:
        raise invalid_input(f"Service role name {name} has been taken in this account, please try a different "
                            "suffix.")
    row = entities.create(ctx, ROLE, name, service.path, trust_policy=trust_policy(principal),
                          description=description or service.description, max_session_duration=3600,
                          service_principal=principal)
    attach(ctx, ROLE, row.id, service.policy_arn)
    return row


@iam.operation("CreateServiceLinkedRole")
def create_service_linked_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    row = create_linked_role(ctx, params["AWSServiceName"], params.get("CustomSuffix"), params.get("Description"))
    return {"Role": role_shape(ctx.db, row)}


@iam.operation("DeleteServiceLinkedRole")
def delete_service_linked_role(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    role = entities.require(ctx.db, ROLE, ctx.account, params["RoleName"])
    if not role.service_principal:
        raise invalid_input(f"Role {role.name} is not a service-linked role. Use DeleteRole to delete it.")
    unfinished = ctx.db.execute(select(iam_slr_deletion_tasks.c.task_id).where(
        iam_slr_deletion_tasks.c.role_id == role.id,
        iam_slr_deletion_tasks.c.status.in_(("NOT_STARTED", "IN_PROGRESS")))).scalar()
    if unfinished:
        return {"DeletionTaskId": unfinished}
    task_id = f"task/aws-service-role/{role.service_principal}/{role.name}/{ctx.app.ids.uuid()}"
    ctx.db.execute(insert(iam_slr_deletion_tasks).values(
        task_id=task_id, account_id=ctx.account, role_id=role.id, role_name=role.name,
        service_principal=role.service_principal, status="NOT_STARTED", created_at=ctx.now()))
    ctx.enqueue(DELETION_TASK, {"task_id": task_id})
    return {"DeletionTaskId": task_id}


@iam.operation("GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    task_id = params["DeletionTaskId"]
    if not _TASK_ID.match(task_id):
        raise invalid_input(f"Invalid deletion task id: {task_id}")
    task = ctx.db.execute(select(iam_slr_deletion_tasks).where(iam_slr_deletion_tasks.c.task_id == task_id,
                                                               iam_slr_deletion_tasks.c.account_id == ctx.account)
                          ).first()
    if task is None:
        raise no_such_entity(f"Deletion task {task_id} cannot be found.")
    result: dict[str, Any] = {"Status": task.status}
    if task.reason:
        result["Reason"] = task.reason
    return result


@iam.task(DELETION_TASK)
def run_deletion_task(app: App, payload: dict[str, Any]) -> None:
    """The outbox side of DeleteServiceLinkedRole."""
    task_id = payload["task_id"]
    with app.database.transaction() as db:
        task = db.execute(select(iam_slr_deletion_tasks).where(iam_slr_deletion_tasks.c.task_id == task_id)).first()
        if task is None or task.status not in ("NOT_STARTED", "IN_PROGRESS"):
            return
        db.execute(update(iam_slr_deletion_tasks).where(iam_slr_deletion_tasks.c.task_id == task_id)
                   .values(status="IN_PROGRESS"))
    with app.database.transaction() as db:
        role = db.execute(select(ROLE.table).where(ROLE.table.c.id == task.role_id)).first()
        service = linked_service(task.service_principal)
        usage = service.usage(db, task.account_id, task.role_name) if role and service and service.usage else []
        values: dict[str, Any] = {"finished_at": app.clock.now()}
        if usage:
            values["status"] = "FAILED"
            values["reason"] = {
                "Reason": f"Service-linked role {task.role_name} is still in use by {task.service_principal}: delete "
                          "the resources listed in RoleUsageList, then try again.",
                "RoleUsageList": [{"Region": region, "Resources": arns} for region, arns in usage],
            }
        else:
            if role is not None:
                entities.remove(db, ROLE, role)
            values["status"] = "SUCCEEDED"
        db.execute(update(iam_slr_deletion_tasks).where(iam_slr_deletion_tasks.c.task_id == task_id).values(**values))
    app.iam_changed()
