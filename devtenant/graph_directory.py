"""Graph handlers for /users and /groups."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .graph_common import GraphError, collection_response, entity_response
from .state import STATE_KEY


def _not_found(object_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
    )


def _cast(objects: list[dict[str, Any]], cast: str | None) -> list[dict[str, Any]]:
    if cast is None:
        return objects
    wanted = f"#microsoft.graph.{cast}"
    return [o for o in objects if o.get("@odata.type") == wanted]


async def list_users(request: web.Request) -> web.StreamResponse:
    directory = request.app[STATE_KEY].directory
    return collection_response(request, directory.users.values(), "users")


async def get_user(request: web.Request, uid: str) -> web.StreamResponse:
    user = request.app[STATE_KEY].directory.user(uid)
    if user is None:
        raise _not_found(uid)
    body = {k: v for k, v in user.items() if k != "@odata.type"}
    return entity_response(request, body, "users/$entity")


async def user_relation(request: web.Request, uid: str, rel: str, cast: str | None = None) -> web.StreamResponse:
    directory = request.app[STATE_KEY].directory
    user = directory.user(uid)
    if user is None:
        raise _not_found(uid)
    groups = directory.member_of(user["id"]) if rel == "memberOf" else directory.transitive_member_of(user["id"])
    context = "groups" if cast else "directoryObjects"
    return collection_response(request, _cast(groups, cast), context)


async def list_groups(request: web.Request) -> web.StreamResponse:
    directory = request.app[STATE_KEY].directory
    return collection_response(request, directory.groups.values(), "groups")


async def get_group(request: web.Request, gid: str) -> web.StreamResponse:
    group = request.app[STATE_KEY].directory.group(gid)
    if group is None:
        raise _not_found(gid)
    body = {k: v for k, v in group.items() if k != "@odata.type"}
    return entity_response(request, body, "groups/$entity")


async def group_relation(request: web.Request, gid: str, rel: str, cast: str | None = None) -> web.StreamResponse:
    directory = request.app[STATE_KEY].directory
    if directory.group(gid) is None:
        raise _not_found(gid)
    objects = {
        "members": directory.members,
        "transitiveMembers": directory.transitive_members,
        "memberOf": directory.member_of,
        "transitiveMemberOf": directory.transitive_member_of,
        "owners": directory.owners,
    }[rel](gid)
    context = f"{cast}s" if cast else "directoryObjects"
    return collection_response(request, _cast(objects, cast), context)
