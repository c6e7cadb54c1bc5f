"""The CRM worksheet functions (xlwings ``UDF_MODULES = addin.functions``).

Each topic's functions live in their own module and are re-exported here, because xlwings looks
for functions on the module named in ``UDF_MODULES``. Range conversion is in :mod:`.ranges`.
"""
from addin.functions.churn import *  # noqa: F403
from addin.functions.scorecard import *  # noqa: F403
from addin.functions.surveys import *  # noqa: F403
from addin.functions.tiering import *  # noqa: F403
