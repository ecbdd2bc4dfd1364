using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Compliance;

/// <summary>
/// The LookupService's rules: classify with the first provider that answers, and record the result
/// as the organization's recent lookup of the number, which SendMessage consults.
/// </summary>
public sealed class LineTypeLookups(IEnumerable<ILineTypeProvider> providers, ILineTypeRegistry registry, TimeProvider time)
{
    private readonly ILineTypeProvider[] providers = [.. providers];

    public async Task<LineTypeLookup> LookupAsync(Caller caller, string number, CancellationToken cancellationToken)
    {
        if (!SendRules.IsE164(number))
        {
            throw RefusalException.Validation("number", "must be E.164");
        }

        var (type, source) = (LineType.Unknown, "none");
        foreach (var provider in providers)
        {
            if (await provider.ClassifyAsync(number, cancellationToken) is { } answer)
            {
                (type, source) = (answer, provider.Name);
                break;
            }
        }

        var lookup = new LineTypeLookup(number, type, time.GetUtcNow(), source);
        await registry.RecordAsync(caller.OrganizationId, lookup, cancellationToken);
        return lookup;
    }
}
