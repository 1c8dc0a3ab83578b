using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>The harness itself, against stand-in peers made of shell one-liners.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void A_missing_peer_executable_fails_with_a_clear_message()
    {
        var error = Assert.Throws<PeerFailureException>(
            () => PeerProcess.StartExecutable("The test peer", "tests/interop/nowhere/peer", "/nonexistent/peer", "nowhere#0"));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("tests/interop/nowhere/peer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order_by_id()
    {
        await using var echo = PeerProcess.StartCommand(
            "echo#0", """exec sed -u -E 's/^\{"id":([0-9]+),.*/{"id":\1,"ok":true,"echo":\1}/'""");

        var answers = Enumerable.Range(0, 1000).Select(_ => echo.SendAsync("ping")).ToArray();
        var results = await Task.WhenAll(answers);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Ok);
            Assert.Equal(results[i].Id, results[i].Field("echo").GetInt64());
            Assert.Equal(i + 1, results[i].Id);
        }
    }

    [Fact]
    public async Task A_peer_that_dies_fails_its_requests_with_the_exit_code_and_its_stderr()
    {
        await using var dying = PeerProcess.StartCommand(
            "dying#0", "read line; echo 'dying on purpose' >&2; exit 3");

        var error = await Assert.ThrowsAsync<PeerFailureException>(() => dying.SendAsync("create"));
        Assert.Contains("exited with code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("dying on purpose", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PeerFailureException>(() => dying.SendAsync("create"));
        Assert.False(dying.IsUsable);
    }

    [Fact]
    public async Task A_peer_that_writes_something_other_than_json_lines_fails_clearly()
    {
        await using var garbled = PeerProcess.StartCommand(
            "garbled#0", "read line; echo 'hello there'; sleep 30");

        var error = await Assert.ThrowsAsync<PeerFailureException>(() => garbled.SendAsync("create"));
        Assert.Contains("broke the JSON-lines contract", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_stops_answering_fails_after_its_time_bound_with_its_stderr()
    {
        await using var stalled = PeerProcess.StartCommand(
            "stalled#0",
            """read line; echo '{"id":1,"ok":true}'; echo 'thinking forever' >&2; sleep 60""",
            firstAnswerTimeout: TimeSpan.FromSeconds(5),
            answerTimeout: TimeSpan.FromSeconds(1));

        Assert.True((await stalled.SendAsync("create")).Ok);
        var error = await Assert.ThrowsAsync<PeerFailureException>(() => stalled.SendAsync("create"));
        Assert.Contains("did not answer create (id 2) within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("thinking forever", error.Message, StringComparison.Ordinal);
        Assert.False(stalled.IsUsable);
    }
}
