using AgentMessage.Core.Compliance;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// A number's pace: the one the operator stored with the owned number (AdminService.AddNumber), else
/// the configured one (AgentMessage:Delivery:NumberPace:+15551112222 = 5), else the default. The
/// registry read is the cached one on Redis, so a change reaches every instance within the local cache TTL.
/// </summary>
public sealed class PaceTable(IOptions<DeliveryOptions> options, INumberRegistry numbers)
{
    /// <summary>The time between two messages from <paramref name="number"/>: one over its pace.</summary>
    public async ValueTask<TimeSpan> IntervalAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var owned = await numbers.GetAsync(organizationId, number, cancellationToken);
        var pace = owned?.PacePerSecond is > 0 and var stored ? stored
            : options.Value.NumberPace.TryGetValue(number, out var configured) && configured > 0 ? configured
            : options.Value.DefaultPacePerSecond;
        return TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / pace));
    }
}
