using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.Lookups;

/// <summary>
/// The carrier simulator's line types: a fixed table of fictional numbers, so every outcome of a
/// lookup (and the landline block of SendMessage) can be tried without a real provider.
/// <list type="table">
/// <item><term>+15550100000</term><description>landline (the development seed's blocked recipient)</description></item>
/// <item><term>+15550100001</term><description>mobile</description></item>
/// <item><term>+15550100002</term><description>voip</description></item>
/// <item><term>+15550100003</term><description>toll_free</description></item>
/// <item><term>+15550100004</term><description>unknown</description></item>
/// </list>
/// </summary>
public sealed class SimulatorLineTypeProvider : ILineTypeProvider
{
    public const string LandlineNumber = "+15550100000";
    public const string MobileNumber = "+15550100001";
    public const string VoipNumber = "+15550100002";
    public const string TollFreeNumber = "+15550100003";
    public const string UnknownNumber = "+15550100004";

    public static readonly IReadOnlyDictionary<string, LineType> Table = new Dictionary<string, LineType>(StringComparer.Ordinal)
    {
        [LandlineNumber] = LineType.Landline,
        [MobileNumber] = LineType.Mobile,
        [VoipNumber] = LineType.Voip,
        [TollFreeNumber] = LineType.TollFree,
        [UnknownNumber] = LineType.Unknown,
    };

    public string Name => "simulator";

    public ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Table.TryGetValue(number, out var type) ? type : (LineType?)null);
}
