using System.Diagnostics.CodeAnalysis;

namespace AgentMessage.Core.Refusals;

/// <summary>The answer of an operation whose expected refusals are values: a result or an <see cref="Refusal"/>.</summary>
public readonly struct Result<T>
    where T : class
{
    private readonly T? value;
    private readonly Refusal? refusal;

    private Result(T? value, Refusal? refusal)
    {
        this.value = value;
        this.refusal = refusal;
    }

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Refusal refusal) => new(null, refusal);

    /// <summary>The result, or false with the refusal.</summary>
    public bool TryGetValue([NotNullWhen(true)] out T? result, [NotNullWhen(false)] out Refusal? refused)
    {
        result = value;
        refused = refusal;
        return refusal is null;
    }
}
