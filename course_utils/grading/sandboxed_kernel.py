"""A Jupyter kernel manager whose kernel command can be wrapped (by the sandbox) before it starts."""

from __future__ import annotations

import os

from jupyter_client.manager import AsyncKernelManager


class SandboxedKernelManager(AsyncKernelManager):
    """``wrap(argv, workdir)``, when set, turns the kernel's command into the sandboxed one.

    ``max_message_bytes``, when set, is the largest message its clients read from the
    kernel: ZeroMQ refuses a larger one before it is read into memory (``MAXMSGSIZE``).
    """

    wrap = None
    max_message_bytes: int | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        if self.wrap is None:
            return argv
        workdir = (self._launch_args or {}).get("cwd") or "."
        return self.wrap(argv, os.path.abspath(workdir))

    def client(self, **kwargs):
        if self.max_message_bytes:
            import zmq
            import zmq.asyncio

            context = zmq.asyncio.Context()
            context.setsockopt(zmq.MAXMSGSIZE, int(self.max_message_bytes))
            kwargs.setdefault("context", context)
        return super().client(**kwargs)
