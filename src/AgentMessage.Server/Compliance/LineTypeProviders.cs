using AgentMessage.Server.Access;
using AgentMessage.Server.Errors;
using AgentMessage.Server.Messaging;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace AgentMessage.Server.Compliance;

/// <summary>Number lookups (AgentMessage:Lookups).</summary>
public sealed class LookupOptions
{
    public const string Section = "AgentMessage:Lookups";

    /// <summary>Whether the simulator's fixed table (<see cref="SimulatorLineTypeProvider"/>) answers
    /// for its test numbers before any other provider. On by default, like the carrier simulator.</summary>
    public bool SimulatorTable { get; set; } = true;
}

/// <summary>A source of line-type classifications. Providers are asked in registration order; the
/// first that answers (not null) decides.</summary>
public interface ILineTypeProvider
{
    /// <summary>The provider's name, kept with each lookup as its <c>source</c>.</summary>
    string Name { get; }

    /// <summary>The line type, or null when this provider has nothing to say about the number.</summary>
    ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken);
}

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

/// <summary>
/// Offline classification from libphonenumber's numbering-plan metadata. It knows the ranges a
/// country allocates, not what a subscriber did with a number (ported, forwarded), so it answers
/// only what the plan states: MOBILE → mobile, FIXED_LINE → landline, VOIP → voip, TOLL_FREE →
/// toll_free; everything else, an invalid number included, is unknown. FIXED_LINE_OR_MOBILE (the
/// answer for every valid US and Canadian number, whose plans do not separate the two) is
/// <b>unknown</b>: calling it mobile would claim what the plan does not say, and calling it landline
/// would block sends to most North American mobiles. It always answers, so it comes last.
/// </summary>
public sealed class LibPhoneNumberLineTypeProvider : ILineTypeProvider
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public string Name => "libphonenumber";

    public ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken) =>
        ValueTask.FromResult<LineType?>(Classify(number));

    public static LineType Classify(string number)
    {
        PhoneNumber parsed;
        try
        {
            parsed = Util.Parse(number, null);
        }
        catch (NumberParseException)
        {
            return LineType.Unknown;
        }

        if (!Util.IsValidNumber(parsed))
        {
            return LineType.Unknown;
        }

        return Util.GetNumberType(parsed) switch
        {
            PhoneNumberType.MOBILE => LineType.Mobile,
            PhoneNumberType.FIXED_LINE => LineType.Landline,
            PhoneNumberType.VOIP => LineType.Voip,
            PhoneNumberType.TOLL_FREE => LineType.TollFree,
            _ => LineType.Unknown,
        };
    }
}

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
            throw ApiException.Validation("number", "must be E.164");
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

public static class LookupRegistration
{
    /// <summary>The lookup providers in the order they are asked, the consent and keyword rules.</summary>
    public static IServiceCollection AddCompliance(this IServiceCollection services)
    {
        services.AddOptions<LookupOptions>().BindConfiguration(LookupOptions.Section);
        services.AddSingleton<ILineTypeProvider>(sp => sp.GetRequiredService<IOptions<LookupOptions>>().Value.SimulatorTable
            ? new SimulatorLineTypeProvider()
            : NoProvider.Instance);
        services.AddSingleton<ILineTypeProvider, LibPhoneNumberLineTypeProvider>();
        services.AddSingleton<LineTypeLookups>();
        services.AddSingleton<ConsentManager>();
        services.AddSingleton<InboundKeywordHandler>();
        return services;
    }

    /// <summary>Stands in for the simulator's table when it is switched off.</summary>
    private sealed class NoProvider : ILineTypeProvider
    {
        public static readonly NoProvider Instance = new();

        public string Name => "none";

        public ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken) => ValueTask.FromResult<LineType?>(null);
    }
}
