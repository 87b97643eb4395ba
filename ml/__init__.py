"""Models: SageMaker script-mode training code, the runners that launch it, and what they produce."""
