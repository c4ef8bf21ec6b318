"""CumulusCI: the tasks that cumulusci.yml names, thin shells over the lower stages."""
