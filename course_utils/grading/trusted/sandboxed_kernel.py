"""A Jupyter kernel manager whose kernel command can be wrapped (by the sandbox) before it starts."""

from __future__ import annotations

import os

from jupyter_client.manager import AsyncKernelManager


class SandboxedKernelManager(AsyncKernelManager):
    """``wrap(argv, workdir)``, when set, turns the kernel's command into the sandboxed one.

    ``max_message_bytes``, when set, is the largest message its clients read from the
    kernel: ZeroMQ refuses a larger one before it is read into memory (``MAXMSGSIZE``).

    ``warm``, when set, is a kernel already started (``warm_kernels.WarmKernel``) whose
    connection file this manager has loaded: starting the kernel adopts its process
    instead of launching one.
    """

    wrap = None
    max_message_bytes: int | None = None
    warm = None

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.warm is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        provisioner = self.provisioner
        provisioner.process, provisioner.pid = self.warm.process, self.warm.process.pid
        try:
            provisioner.pgid = os.getpgid(provisioner.pid)
        except ProcessLookupError:  # it died: nbclient finds it dead when it waits for the kernel
            provisioner.pgid = None
        provisioner.cwd = self.warm.work
        self._reconcile_connection_info(provisioner.connection_info)
        return None

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
