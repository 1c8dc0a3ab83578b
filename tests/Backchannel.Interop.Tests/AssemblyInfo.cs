// Peers are separate processes that compete for the same two cores; one test at a time keeps timings honest.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
