// Each test starts processes (relays, CLI invocations): one at a time on small machines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
