using System.Diagnostics.CodeAnalysis;

namespace AgentMessage.Core.Storage;

/// <summary>
/// The names under which the members of one enum are stored (Redis fields, keys and scripts, and
/// the stored JSON of messages). Written out member by member so that renaming a C# member never
/// changes what is stored: data written before the rename still reads. Every member must have a
/// name and no two members may share one.
/// </summary>
public sealed class StoredNameMap<TEnum>
    where TEnum : struct, Enum
{
    private readonly List<KeyValuePair<TEnum, string>> all = [];
    private readonly Dictionary<TEnum, string> names = [];
    private readonly Dictionary<string, TEnum> values = new(StringComparer.Ordinal);

    public StoredNameMap(params (TEnum Value, string Name)[] entries)
    {
        foreach (var (value, name) in entries)
        {
            if (!names.TryAdd(value, name) || !values.TryAdd(name, value))
            {
                throw new ArgumentException($"{typeof(TEnum).Name}: {value} or \"{name}\" is named twice", nameof(entries));
            }

            all.Add(new(value, name));
        }

        var unnamed = Enum.GetValues<TEnum>().Where(v => !names.ContainsKey(v)).ToList();
        if (unnamed.Count > 0)
        {
            throw new ArgumentException($"{typeof(TEnum).Name}: no stored name for {string.Join(", ", unnamed)}", nameof(entries));
        }
    }

    /// <summary>Every member with its stored name, in declaration order of the map.</summary>
    public IReadOnlyList<KeyValuePair<TEnum, string>> All => all;

    public string ToStored(TEnum value) =>
        names.TryGetValue(value, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(TEnum).Name}");

    public bool TryParse([NotNullWhen(true)] string? stored, out TEnum value)
    {
        if (stored is not null && values.TryGetValue(stored, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The member stored as <paramref name="stored"/>; throws <see cref="FormatException"/> for a name this map does not know.</summary>
    public TEnum Parse(string stored) =>
        TryParse(stored, out var value) ? value : throw new FormatException($"\"{stored}\" is not a stored {typeof(TEnum).Name}");
}
