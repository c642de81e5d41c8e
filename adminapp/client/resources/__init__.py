"""The client's resources, one module per API area (``client.<resource>.<verb>()``)."""
