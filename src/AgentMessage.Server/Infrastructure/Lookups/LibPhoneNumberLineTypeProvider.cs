using AgentMessage.Core.Compliance;
using PhoneNumbers;

namespace AgentMessage.Server.Infrastructure.Lookups;

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
