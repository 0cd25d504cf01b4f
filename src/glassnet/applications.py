"""``keras.applications`` (pretrained ImageNet models) is not part of glassnet.

``from keras.applications import Xception`` (the transfer-learning guide's first line)
stops here with one line that says so and what to do instead, rather than Python's
"No module named 'glassnet.applications'".
"""

from glassnet import _NOT_HERE

raise ImportError(f"glassnet has no applications: {_NOT_HERE['applications']}")
