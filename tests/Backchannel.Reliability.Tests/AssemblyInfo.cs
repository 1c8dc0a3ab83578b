// Each test starts processes (relays, CLI invocations, kills): one at a time on small machines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
