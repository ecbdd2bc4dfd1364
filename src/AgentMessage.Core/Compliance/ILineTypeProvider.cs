namespace AgentMessage.Core.Compliance;

/// <summary>A source of line-type classifications. Providers are asked in registration order; the
/// first that answers (not null) decides.</summary>
public interface ILineTypeProvider
{
    /// <summary>The provider's name, kept with each lookup as its <c>source</c>.</summary>
    string Name { get; }

    /// <summary>The line type, or null when this provider has nothing to say about the number.</summary>
    ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken);
}
