namespace AgentMessage.Core.Compliance;

/// <summary>The organization's recent number lookups, which SendMessage consults.</summary>
public interface ILineTypeRegistry
{
    ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken);

    ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken);
}
