using System.Text;
using System.Text.Json;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>One instruction of a Dockerfile: its keyword (upper case) and its arguments, continuation lines joined.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>A build stage: FROM image [AS name] and the instructions up to the next FROM.</summary>
public sealed record DockerStage(string BaseImage, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<string> Arguments(string keyword) =>
        Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>The environment the stage's ENV instructions set, in order (a later value wins).</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arguments in Arguments("ENV"))
        {
            foreach (var (key, value) in Dockerfile.KeyValues(arguments))
            {
                environment[key] = value;
            }
        }

        return environment;
    }
}

/// <summary>
/// Just enough of the Dockerfile syntax for the static checks: comments and parser directives
/// skipped, backslash continuations joined, stages split at FROM, ENV's key=value pairs with double
/// quotes, and exec-form (JSON array) arguments.
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage that is the image: the last one.</summary>
    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var current = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r', ' ', '\t');
            if (line.TrimStart().StartsWith('#') || (current.Length == 0 && line.Trim().Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current.Append(line.AsSpan(0, line.Length - 1)).Append(' ');
                continue;
            }

            current.Append(line);
            var instruction = current.ToString().Trim();
            current.Clear();
            if (instruction.Length == 0)
            {
                continue;
            }

            var space = instruction.IndexOfAny([' ', '\t']);
            instructions.Add(space < 0
                ? new DockerInstruction(instruction.ToUpperInvariant(), string.Empty)
                : new DockerInstruction(instruction[..space].ToUpperInvariant(), instruction[(space + 1)..].Trim()));
        }

        var stages = new List<DockerStage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                var name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new DockerStage(words[0], name, []));
            }
            else
            {
                Assert.True(stages.Count > 0, $"{instruction.Keyword} before the first FROM");
                stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
            }
        }

        return new Dockerfile(stages);
    }

    /// <summary>ENV's <c>key=value</c> pairs (values may be double-quoted, with backslash escapes), or the legacy <c>ENV key value</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> KeyValues(string arguments)
    {
        var words = Words(arguments);
        if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
        {
            yield return new(words[0], string.Join(' ', words.Skip(1)));
            yield break;
        }

        foreach (var word in words)
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"ENV word without '=': {word}");
            yield return new(word[..equals], word[(equals + 1)..]);
        }
    }

    /// <summary>The exec form of ENTRYPOINT or CMD: a JSON array of strings.</summary>
    public static string[] ExecForm(string arguments)
    {
        Assert.True(arguments.StartsWith('['), $"not the exec form (a JSON array): {arguments}");
        return JsonSerializer.Deserialize<string[]>(arguments)!;
    }

    /// <summary>Splits at unquoted whitespace, removing double quotes and resolving backslash escapes inside them.</summary>
    private static List<string> Words(string arguments)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var started = false;
        for (var i = 0; i < arguments.Length; i++)
        {
            var c = arguments[i];
            if (quoted && c == '\\' && i + 1 < arguments.Length)
            {
                word.Append(arguments[++i]);
            }
            else if (c == '"')
            {
                quoted = !quoted;
                started = true;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (started)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    started = false;
                }
            }
            else
            {
                word.Append(c);
                started = true;
            }
        }

        Assert.False(quoted, $"unterminated quote in: {arguments}");
        if (started)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
