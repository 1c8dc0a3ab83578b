using System.CommandLine;
using Backchannel.Cli.Demo;

namespace Backchannel.Cli.Commands;

/// <summary><c>demo</c>: the whole story on an embedded relay (see <see cref="DemoStory"/>).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo",
            "Run the whole story in one process: an embedded relay on a free loopback port, two envoys, an invite, " +
            "a conversation over two topics, safety numbers, and proof that the relay holds no plaintext");
        CommandRunner.SetAction(command, (p, output, ct) => new DemoStory(output).RunAsync(ct));
        return command;
    }
}
