using System.Diagnostics.CodeAnalysis;

namespace AgentMessage.Server.Errors;

/// <summary>The answer of an operation whose expected refusals are values: a result or an <see cref="ApiError"/>.</summary>
public readonly struct ApiResult<T>
    where T : class
{
    private readonly T? value;
    private readonly ApiError? refusal;

    private ApiResult(T? value, ApiError? refusal)
    {
        this.value = value;
        this.refusal = refusal;
    }

    public static implicit operator ApiResult<T>(T value) => new(value, null);

    public static implicit operator ApiResult<T>(ApiError refusal) => new(null, refusal);

    /// <summary>The result, or false with the refusal.</summary>
    public bool TryGetValue([NotNullWhen(true)] out T? result, [NotNullWhen(false)] out ApiError? refused)
    {
        result = value;
        refused = refusal;
        return refusal is null;
    }
}
