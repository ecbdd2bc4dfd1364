using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Infrastructure;

/// <summary>What every <see cref="ICarrierLinkStore"/> refuses, checked in one place so the stores
/// refuse alike: part numbers outside 1..parts, an empty reference or status, a keep that is not positive.</summary>
public static class CarrierLinkChecks
{
    public static void Part(CarrierPart part)
    {
        ArgumentException.ThrowIfNullOrEmpty(part.Reference);
        Part(part.Part, part.Parts);
    }

    public static void Part(int part, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(part, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(part, parts);
    }

    public static void Status(string status) => ArgumentException.ThrowIfNullOrEmpty(status);

    public static void Keep(TimeSpan keep) => ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keep, TimeSpan.Zero);
}
