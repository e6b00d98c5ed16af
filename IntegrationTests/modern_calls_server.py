"""An MCP 2026-07-28 server (official Python SDK 2.x, MCPServer) for the logical-call tests:

- `confirm(item)` asks the client for input through a multi round-trip request (`Elicit` resolver: the first call is
  answered `resultType: "input_required"`, the retry carries `inputResponses` and `requestState`);
- `long_job(steps)` is answered with a task (`resultType: "task"`, the tasks extension `io.modelcontextprotocol/tasks`,
  written here on the SDK's extension interface) that `tasks/get` reports `working` for `steps` polls, then
  `completed`;
- `add_tool()` adds a tool and publishes `notifications/tools/list_changed` to the `subscriptions/listen` streams.

Without --port it serves stdio."""
import argparse
import itertools
from typing import Annotated, Any

from pydantic import BaseModel

from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp_types import CallToolRequestParams, RequestParams

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, help="serve Streamable HTTP on this port (default: stdio)")
args = parser.parse_args()

TASKS = "io.modelcontextprotocol/tasks"


class Answer(BaseModel):
    ok: bool


async def ask(item: str) -> Elicit[Answer]:
    return Elicit(f"Really do it to {item}?", Answer)


class GetTaskParams(RequestParams):
    taskId: str


class Tasks(Extension):
    """The tasks extension, enough for one kind of task: `long_job` ends after its number of polls."""

    identifier = TASKS

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    def methods(self):
        return [MethodBinding(method="tasks/get", params_type=GetTaskParams, handler=self.get)]

    async def intercept_tool_call(self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next):
        if params.name != "long_job":
            return await call_next(ctx)
        task_id = f"task-{next(self.ids)}"
        steps = int((params.arguments or {}).get("steps", 2))
        self.tasks[task_id] = {"left": steps, "steps": steps}
        return {"resultType": "task", "taskId": task_id, "status": "working", "ttlMs": 60000, "pollIntervalMs": 10}

    async def get(self, ctx: ServerRequestContext[Any, Any], params: GetTaskParams):
        task = self.tasks[params.taskId]
        if task["left"] > 0:
            task["left"] -= 1
            return {"resultType": "complete", "taskId": params.taskId, "status": "working", "pollIntervalMs": 10}
        text = f"done after {task['steps']} steps"
        return {
            "resultType": "complete", "taskId": params.taskId, "status": "completed",
            "result": {"content": [{"type": "text", "text": text}], "structuredContent": {"result": text}, "isError": False},
        }


server = MCPServer("modern-calls-peer", log_level="WARNING", extensions=[Tasks()])


@server.tool()
async def confirm(item: str, answer: Annotated[Answer, Resolve(ask)]) -> str:
    """Asks the user before it acts."""
    return f"{item}: {'confirmed' if answer.ok else 'declined'}"


@server.tool()
async def long_job(steps: int) -> str:
    """Runs as a task (the tasks extension answers for it)."""
    return "ran inline"


@server.tool()
async def add_tool(ctx: Context) -> str:
    """Adds a tool, which changes the list."""
    server.add_tool(lambda: "new", name="added")
    await ctx.notify_tools_changed()
    return "added"


if args.port is None:
    server.run(transport="stdio")
else:
    server.run(transport="streamable-http", host="127.0.0.1", port=args.port)
