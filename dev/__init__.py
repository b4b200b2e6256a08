"""Developer tooling, shipped in neither wheel: the demo, the cluster launcher and the process stack."""
