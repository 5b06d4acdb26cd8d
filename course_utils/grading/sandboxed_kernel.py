"""A Jupyter kernel manager whose kernel command can be wrapped (by the sandbox) before it starts."""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager


class SandboxedKernelManager(AsyncKernelManager):
    """``wrap(argv, workdir)``, when set, turns the kernel's command into the sandboxed one."""

    wrap = None

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        if self.wrap is None:
            return argv
        workdir = (self._launch_args or {}).get("cwd") or "."
        import os

        return self.wrap(argv, os.path.abspath(workdir))
