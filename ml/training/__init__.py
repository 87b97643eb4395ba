"""What a training job runs, on this machine or in a SageMaker container: nothing of the platform is imported here.

A runner ships this package (with ``ml/__init__.py``) as the job's source code
and starts an entry point as ``python -m ml.training.<model>``.
"""
