using System.ComponentModel.DataAnnotations;

namespace Pacer.Sinks;

/// <summary>Checks an options object's DataAnnotations once, when the sink is made, never per call.</summary>
internal static class OptionsValidation
{
    /// <exception cref="ValidationException">One or more options are out of range; the message names each.</exception>
    public static T Validate<T>(T options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var problems = results.Select(r => $"{string.Join(", ", r.MemberNames)}: {r.ErrorMessage}");
            throw new ValidationException($"Invalid {typeof(T).Name}: {string.Join("; ", problems)}");
        }
        return options;
    }
}
