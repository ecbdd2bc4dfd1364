using AgentMessage.Core.Compliance;
using AgentMessage.Core.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// A number's pace: the one the operator stored with the owned number (AdminService.AddNumber), else
/// the configured one (AgentMessage:Delivery:NumberPace:+15551112222 = 5), else the default. The
/// registry read is the cached one on Redis, so a change reaches every instance within the local cache TTL.
/// </summary>
public sealed class PaceTable(IOptions<DeliveryOptions> options, INumberRegistry numbers)
{
    public async ValueTask<RateLimitPolicy> ForAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var owned = await numbers.GetAsync(organizationId, number, cancellationToken);
        return new(1, owned?.PacePerSecond is > 0 and var stored ? stored
            : options.Value.NumberPace.TryGetValue(number, out var pace) && pace > 0 ? pace
            : options.Value.DefaultPacePerSecond);
    }
}
