using System.Globalization;
using System.Reflection;

namespace AgentMessage.LoadTest;

/// <summary>The command line of the load tool (see <see cref="Usage"/>).</summary>
public sealed record LoadOptions(
    TimeSpan Duration,
    TimeSpan Warmup,
    int Callers,
    IReadOnlyList<int> Streams,
    int ReceiptRounds,
    double ReceiptRate,
    string ServerAssembly,
    string? MarkdownPath,
    IReadOnlySet<string> Scenarios,
    IReadOnlyList<string> ServerSettings,
    IReadOnlyDictionary<string, string> ServerEnvironment,
    double PacedFraction,
    DispatchOptions Dispatch)
{
    public const string Usage = """
        dotnet run -c Release --project src/AgentMessage.LoadTest -- [options]

          --duration 10s        measured time of each throughput scenario (ms, s or m suffix)
          --warmup 2s           load before each measurement that is not counted
          --callers 64          concurrent closed-loop callers of the throughput scenarios
          --streams 1000,10000  StreamStatus scenarios: how many concurrent streams each ("0": none)
          --receipt-rounds 10   StreamStatus, one tag: messages per scenario, each receiving ACCEPTD then DELIVRD
          --receipt-rate 1000   StreamStatus, own message: receipts per second across the streams' messages
          --server PATH         AgentMessage.Server.dll to run (default: this build's Release output)
          --paced 0.8           the open-loop pass runs at this fraction of the closed-loop gRPC throughput
          --markdown FILE       also write the result table to FILE
          --only LIST           run only these scenarios (for profiling): noop, grpc, paced, rest,
                                idempotent, limited, streams (all streams on one tag: every receipt
                                goes to every stream), streams-own (each stream watches its own
                                message) (paced needs grpc); and rest-h2, a variation run only when
                                named: REST over HTTP/2
          --server-arg KEY=VAL  extra server configuration, e.g. Kestrel:Limits:Http2:MaxStreamsPerConnection=1000
                                (repeatable; for trying variations)
          --server-env KEY=VAL  an environment variable for the server, e.g. DOTNET_gcServer=0 (repeatable)

        Dispatch scenarios, run only when --only names them (each on its own redis-server and servers):
          drain                 a backlog drained by one instance, at simulator submit latency 0 ms and 50 ms
          sustained             open-loop sends at half the 50 ms drain rate against a dispatching instance
          fairness              organization A's backlog on a number paced at 1/s, then organization B's 10 sends
          smpp                  the drain through the SMPP link to the test SMSC (node-smpp), 1 bind then 4,
                                window 50, the SMSC answering at once and sending a receipt for each
          h2load                the gRPC no-op, SendMessage and REST sends measured with h2load (Debian's
                                nghttp2-client), mirrored windows; skipped when h2load is not installed
          telemetry             gRPC and REST sends under h2load against two servers side by side, telemetry
                                on (the default) and off (AgentMessage:Telemetry:Enabled=false), mirrored windows
          inbound               inbound messages, arrival → a status stream: signed posts to
                                /v1/carrier/inbound (--callers at a time), then deliver_sm from the SMSC
          webhooks              webhook deliveries to a fast local receiver while sends run open loop at
                                --webhook-rate (default 600/s, 4 deliveries each): deliveries/s, event → delivery
          --drain-messages 20000  the drain's backlog
          --baseline PATH       drain also with this AgentMessage.Server.dll (e.g. an earlier build), each
                                latency's two rows back to back
          --sustained 60s       how long the sustained scenario sends
          --sustained-rate 1000 its sends per second when drain does not run in the same invocation

        Starts redis-server and the server on free 127.0.0.1 ports, runs every scenario, prints one
        table, and stops everything. Exits 1 if any scenario saw an error; never because of speed.
        """;

    /// <summary>The parsed options, or null after printing why (or the usage for --help).</summary>
    public static LoadOptions? Parse(string[] args)
    {
        var duration = TimeSpan.FromSeconds(10);
        var warmup = TimeSpan.FromSeconds(2);
        var callers = 64;
        IReadOnlyList<int> streams = [1_000, 10_000];
        var rounds = 10;
        var receiptRate = 1000.0;
        var paced = 0.8;
        string? server = null;
        string? markdown = null;
        IReadOnlySet<string> scenarios = DefaultScenarios;
        var serverSettings = new List<string>();
        var serverEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
        var dispatch = new DispatchOptions(20_000, null, TimeSpan.FromSeconds(60), 1000);
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                if (name is "-h" or "--help")
                {
                    Console.WriteLine(Usage);
                    return null;
                }

                if (i + 1 >= args.Length)
                {
                    throw new FormatException($"{name} needs a value");
                }

                var value = args[++i];
                switch (name)
                {
                    case "--duration":
                        duration = ParseDuration(value);
                        break;
                    case "--warmup":
                        warmup = ParseDuration(value);
                        break;
                    case "--callers":
                        callers = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "--streams":
                        streams = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(v => int.Parse(v, NumberStyles.AllowThousands, CultureInfo.InvariantCulture))
                            .Where(v => v > 0)
                            .ToList();
                        break;
                    case "--receipt-rounds":
                        rounds = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "--receipt-rate":
                        receiptRate = double.Parse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                        break;
                    case "--paced":
                        paced = double.Parse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                        break;
                    case "--server":
                        server = Path.GetFullPath(value);
                        break;
                    case "--markdown":
                        markdown = Path.GetFullPath(value);
                        break;
                    case "--only":
                        scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
                        if (scenarios.Except(AllScenarios).FirstOrDefault() is { } unknown)
                        {
                            throw new FormatException($"unknown scenario {unknown}");
                        }

                        if (scenarios.Contains("paced") && !scenarios.Contains("grpc"))
                        {
                            throw new FormatException("paced runs at 80% of what grpc measured: add grpc");
                        }

                        break;
                    case "--server-env":
                        var equals = value.IndexOf('=', StringComparison.Ordinal);
                        if (equals < 1)
                        {
                            throw new FormatException("--server-env needs KEY=VALUE");
                        }

                        serverEnvironment[value[..equals]] = value[(equals + 1)..];
                        break;
                    case "--drain-messages":
                        dispatch = dispatch with { DrainMessages = int.Parse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) };
                        break;
                    case "--baseline":
                        dispatch = dispatch with { BaselineAssembly = Path.GetFullPath(value) };
                        break;
                    case "--sustained":
                        dispatch = dispatch with { SustainedDuration = ParseDuration(value) };
                        break;
                    case "--webhook-rate":
                        dispatch = dispatch with { WebhookRate = double.Parse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) };
                        break;
                    case "--sustained-rate":
                        dispatch = dispatch with { SustainedRate = double.Parse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) };
                        break;
                    case "--server-arg":
                        serverSettings.Add("--" + value.TrimStart('-'));
                        break;
                    default:
                        throw new FormatException($"unknown option {name}");
                }
            }

            if (duration <= TimeSpan.Zero || warmup < TimeSpan.Zero || callers < 1 || rounds < 1 || receiptRate <= 0 || paced is <= 0 or > 1)
            {
                throw new FormatException("--duration, --callers, --receipt-rounds and --receipt-rate must be positive, --warmup not negative");
            }

            if (dispatch.DrainMessages < 1 || dispatch.SustainedDuration <= TimeSpan.Zero || dispatch.SustainedRate <= 0 || dispatch.WebhookRate <= 0)
            {
                throw new FormatException("--drain-messages, --sustained and --sustained-rate must be positive");
            }
        }
        catch (FormatException exception)
        {
            Console.Error.WriteLine(exception.Message);
            Console.Error.WriteLine(Usage);
            return null;
        }

        server ??= typeof(LoadOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ServerAssembly").Value!;
        return new LoadOptions(duration, warmup, callers, streams, rounds, receiptRate, server, markdown, scenarios, serverSettings, serverEnvironment, paced, dispatch);
    }

    /// <summary>The scenarios that start their own redis-server and dispatching servers; together they
    /// take several minutes, so they run only when --only names them.</summary>
    public static readonly IReadOnlyList<string> DispatchScenarios = ["drain", "sustained", "fairness", "smpp", "inbound", "h2load", "webhooks", "telemetry"];

    // Declared after DispatchScenarios, which it includes: static fields initialise in order.
    public static readonly IReadOnlySet<string> AllScenarios = new HashSet<string>(["noop", "grpc", "paced", "rest", "rest-h2", "idempotent", "limited", "streams", "streams-own", .. DispatchScenarios], StringComparer.Ordinal);

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    /// <summary>Whether any scenario runs on the shared, API-only server.</summary>
    public bool RunsApiScenarios => Scenarios.Except(DispatchScenarios).Any();

    /// <summary>Every scenario but the variations and the dispatch scenarios, which run only when --only names them.</summary>
    private static readonly IReadOnlySet<string> DefaultScenarios = AllScenarios.Where(s => s != "rest-h2" && !DispatchScenarios.Contains(s)).ToHashSet(StringComparer.Ordinal);

    private static TimeSpan ParseDuration(string value)
    {
        static double Number(string text) => double.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(Number(value[..^2])),
            _ when value.EndsWith('s') => TimeSpan.FromSeconds(Number(value[..^1])),
            _ when value.EndsWith('m') => TimeSpan.FromMinutes(Number(value[..^1])),
            _ => TimeSpan.FromSeconds(Number(value)),
        };
    }
}
