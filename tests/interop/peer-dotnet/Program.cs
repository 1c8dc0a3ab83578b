using System.Text;
using System.Text.Json.Nodes;
using Backchannel.Interop.PeerDotnet;

// Reads one JSON request per line, answers one JSON line per request, in order, until end of input.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
using var stdin = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
var peer = new Peer();
string? line;
while ((line = stdin.ReadLine()) is not null)
{
    if (line.Length == 0)
    {
        continue;
    }
    JsonObject response = peer.Handle(line);
    stdout.WriteLine(response.ToJsonString());
    stdout.Flush();
}
