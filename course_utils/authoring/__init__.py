"""Maintainers' tools about the course's files: the manifest, lesson sources, the website, translations."""
