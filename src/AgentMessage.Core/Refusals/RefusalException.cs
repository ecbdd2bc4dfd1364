namespace AgentMessage.Core.Refusals;

/// <summary>
/// A <see cref="Refusal"/> thrown, for refusals off the hot path and from code that cannot return
/// one (authenticators, deep validation). Each edge answers it as it answers a returned refusal.
/// A store that cannot be reached is not a refusal: see <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class RefusalException(Refusal refusal) : Exception(refusal.Message)
{
    public RefusalException(RefusalKind kind, string? message = null, IReadOnlyDictionary<string, string>? details = null)
        : this(new Refusal(kind, message, details))
    {
    }

    public Refusal Refusal { get; } = refusal;

    public RefusalKind Kind => Refusal.Kind;

    public static RefusalException Validation(string field, string problem) => new(Refusal.Validation(field, problem));

    public static RefusalException Validation(IReadOnlyDictionary<string, string> problems) => new(Refusal.Validation(problems));
}
